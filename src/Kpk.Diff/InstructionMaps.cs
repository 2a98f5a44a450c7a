using Iced.Intel;
using Kpk.Core;

namespace Kpk.Diff;

/// <summary>
/// Instruction boundaries of code sections, decoded once per section with Iced (an x86
/// decoder). The differ needs them to find which instruction a relocation belongs to, and to
/// compare code instruction by instruction.
/// </summary>
internal sealed class InstructionMaps
{
    private readonly Dictionary<Sec, InstructionMap> _maps = new();

    public InstructionMap For(Sec text, string file)
    {
        if (!_maps.TryGetValue(text, out var map))
            _maps[text] = map = InstructionMap.Decode(text.Data.ToArray(), text.Name, file);
        return map;
    }
}

internal sealed class InstructionMap
{
    private readonly ulong[] _starts;
    private readonly Instruction[] _instructions;
    private readonly ulong _end;

    private InstructionMap(ulong[] starts, Instruction[] instructions, ulong end)
    {
        _starts = starts;
        _instructions = instructions;
        _end = end;
    }

    public IReadOnlyList<Instruction> Instructions => _instructions;

    public static InstructionMap Decode(byte[] code, string section, string file)
    {
        var decoder = Iced.Intel.Decoder.Create(64, new ByteArrayCodeReader(code));
        decoder.IP = 0;
        var starts = new List<ulong>();
        var list = new List<Instruction>();
        while (decoder.IP < (ulong)code.Length)
        {
            ulong at = decoder.IP;
            decoder.Decode(out var insn);
            if (insn.IsInvalid && decoder.LastError == DecoderError.NoMoreBytes)
                throw new KpkException($"{file}: cannot decode the instruction at {section}+0x{at:x} (it runs past the section's end)");
            starts.Add(at);
            list.Add(insn);
        }
        return new InstructionMap(starts.ToArray(), list.ToArray(), (ulong)code.Length);
    }

    /// <summary>The offset just past the instruction that contains <paramref name="offset"/>.</summary>
    public ulong NextInstructionAfter(ulong offset)
    {
        int i = IndexContaining(offset);
        return i + 1 < _starts.Length ? _starts[i + 1] : _end;
    }

    public int IndexContaining(ulong offset)
    {
        int i = Array.BinarySearch(_starts, offset);
        if (i < 0) i = ~i - 1;
        return Math.Max(i, 0);
    }
}
