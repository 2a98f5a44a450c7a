namespace Kpk.Wedge.Deb;

/// <summary>
/// CRC-64 as xz uses it for the CRC64 integrity check (CRC-64/XZ: the reflected ECMA-182
/// polynomial 0xC96C5795D7870F42, initial value and final xor all ones). Not the unreflected
/// ECMA variant some libraries call "Crc64".
/// </summary>
public sealed class Crc64
{
    private static readonly ulong[] Table = BuildTable();
    private ulong _state = ulong.MaxValue;

    public ulong Value => ~_state;

    public void Append(ReadOnlySpan<byte> data)
    {
        ulong crc = _state;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        _state = crc;
    }

    public static ulong Compute(ReadOnlySpan<byte> data)
    {
        var crc = new Crc64();
        crc.Append(data);
        return crc.Value;
    }

    private static ulong[] BuildTable()
    {
        var table = new ulong[256];
        for (ulong i = 0; i < 256; i++)
        {
            ulong c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xC96C5795D7870F42UL ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
