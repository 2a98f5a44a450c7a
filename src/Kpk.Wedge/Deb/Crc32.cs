namespace Kpk.Wedge.Deb;

/// <summary>
/// CRC-32 as used by xz headers, the index and the CRC32 check (the reflected IEEE 802.3
/// polynomial 0xEDB88320, initial value and final xor 0xFFFFFFFF). Incremental: feed any number
/// of spans, then read <see cref="Value"/>.
/// </summary>
public sealed class Crc32
{
    private static readonly uint[] Table = BuildTable();
    private uint _state = 0xFFFFFFFF;

    public uint Value => ~_state;

    public void Append(ReadOnlySpan<byte> data)
    {
        uint crc = _state;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        _state = crc;
    }

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = new Crc32();
        crc.Append(data);
        return crc.Value;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
