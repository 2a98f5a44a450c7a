namespace Kpk.Diff;

/// <summary>
/// Instruction boundaries of code sections, found once per section by the object's
/// architecture. The differ needs them to find which instruction a relocation belongs to, and
/// to compare code instruction by instruction.
/// </summary>
internal sealed class InstructionMaps(Architecture arch, string file)
{
    private readonly Dictionary<Sec, InstructionMap> _maps = new();

    public InstructionMap For(Sec text)
    {
        if (!_maps.TryGetValue(text, out var map))
            _maps[text] = map = new InstructionMap(arch.InstructionStarts(text.Data.ToArray(), text.Name, file), text.Size);
        return map;
    }
}

internal sealed class InstructionMap(ulong[] starts, ulong end)
{
    public int Count => starts.Length;

    public ulong Start(int i) => starts[i];

    public ulong End(int i) => i + 1 < starts.Length ? starts[i + 1] : end;

    /// <summary>The offset just past the instruction that contains <paramref name="offset"/>.</summary>
    public ulong NextInstructionAfter(ulong offset) => End(IndexContaining(offset));

    public int IndexContaining(ulong offset)
    {
        int i = Array.BinarySearch(starts, offset);
        if (i < 0) i = ~i - 1;
        return Math.Max(i, 0);
    }
}
