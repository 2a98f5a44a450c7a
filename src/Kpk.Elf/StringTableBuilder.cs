using System.Text;

namespace Kpk.Elf;

/// <summary>
/// Builds the contents of a string table. Started from the table's original bytes it returns a
/// string's original offset whenever the string is still there, appending only new strings; so
/// an object whose names did not change is written back with identical string tables. Started
/// empty, it makes a compact table with each string once.
/// </summary>
internal sealed class StringTableBuilder
{
    private readonly byte[] _original;
    private readonly MemoryStream _appended = new();
    private readonly Dictionary<string, uint> _offsets = new(StringComparer.Ordinal);

    public StringTableBuilder(ReadOnlyMemory<byte> original)
    {
        _original = original.Length == 0 ? [0] : original.ToArray();
        _offsets[""] = 0;
    }

    public static StringTableBuilder Empty() => new(ReadOnlyMemory<byte>.Empty);

    /// <summary>The offset of <paramref name="s"/>, reusing <paramref name="originalOffset"/> when it still holds it.</summary>
    public uint Add(string s, uint originalOffset = uint.MaxValue)
    {
        if (s.Length == 0 && (originalOffset == uint.MaxValue || originalOffset >= _original.Length)) return 0;
        if (originalOffset < _original.Length && HoldsAt(originalOffset, s)) return originalOffset;
        if (_offsets.TryGetValue(s, out uint known)) return known;
        uint offset = (uint)(_original.Length + _appended.Length);
        _appended.Write(Encoding.UTF8.GetBytes(s));
        _appended.WriteByte(0);
        _offsets[s] = offset;
        return offset;
    }

    private bool HoldsAt(uint offset, string s)
    {
        int byteCount = Encoding.UTF8.GetByteCount(s);
        if (offset + (long)byteCount >= _original.Length) return false;
        if (_original[offset + byteCount] != 0) return false;
        Span<byte> encoded = byteCount <= 512 ? stackalloc byte[byteCount] : new byte[byteCount];
        Encoding.UTF8.GetBytes(s, encoded);
        return _original.AsSpan((int)offset, byteCount).SequenceEqual(encoded);
    }

    public byte[] ToArray()
    {
        if (_appended.Length == 0) return _original;
        var result = new byte[_original.Length + _appended.Length];
        _original.CopyTo(result, 0);
        _appended.ToArray().CopyTo(result, _original.Length);
        return result;
    }
}
