using System.Buffers.Binary;

namespace Kpk.Wedge.Deb;

/// <summary>
/// Writes a complete .xz file (one stream, one block, LZMA2 filter, CRC64 check — what
/// <c>xz -6</c> and dpkg-deb write): stream header, block header with both sizes, the LZMA2 data,
/// block padding and check, the index, and the stream footer.
/// </summary>
public static class XzWriter
{
    private static readonly byte[] HeaderMagic = [0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00];
    private static readonly byte[] FooterMagic = [(byte)'Y', (byte)'Z'];
    /// <summary>Stream flags: no reserved bits, check type 0x04 (CRC64).</summary>
    private static readonly byte[] StreamFlags = [0x00, 0x04];
    private const byte Lzma2FilterId = 0x21;
    private const int CheckSize = 8;

    /// <param name="compress">False stores the data in LZMA2's uncompressed chunks (fast, still valid xz).</param>
    public static byte[] Compress(byte[] input, bool compress = true)
    {
        int dictionarySize = Lzma2Encoder.DictionarySizeFor(input.Length);
        byte[] lzma2 = compress ? Lzma2Encoder.Encode(input, dictionarySize) : Lzma2Encoder.EncodeStored(input);
        var output = new MemoryStream(lzma2.Length + 128);

        output.Write(HeaderMagic);
        output.Write(StreamFlags);
        WriteUInt32(output, Crc32.Compute(StreamFlags));

        byte[] blockHeader = BlockHeader(lzma2.Length, input.Length, Lzma2Encoder.DictionarySizeByte(dictionarySize));
        output.Write(blockHeader);
        output.Write(lzma2);
        WriteZeros(output, Padding(lzma2.Length));
        WriteUInt64(output, Crc64.Compute(input));

        long unpaddedSize = blockHeader.Length + lzma2.Length + CheckSize;
        byte[] index = Index(unpaddedSize, input.Length);
        output.Write(index);

        var footerFields = new byte[6];
        BinaryPrimitives.WriteUInt32LittleEndian(footerFields.AsSpan(0, 4), (uint)(index.Length / 4 - 1));
        StreamFlags.CopyTo(footerFields, 4);
        WriteUInt32(output, Crc32.Compute(footerFields));
        output.Write(footerFields);
        output.Write(FooterMagic);
        return output.ToArray();
    }

    private static byte[] BlockHeader(long compressedSize, long uncompressedSize, byte dictionaryByte)
    {
        var h = new MemoryStream();
        h.WriteByte(0); // header size, filled in below
        h.WriteByte(0x40 | 0x80); // one filter; compressed and uncompressed sizes present
        WriteVarInt(h, (ulong)compressedSize);
        WriteVarInt(h, (ulong)uncompressedSize);
        WriteVarInt(h, Lzma2FilterId);
        WriteVarInt(h, 1);
        h.WriteByte(dictionaryByte);
        WriteZeros(h, Padding(h.Length));
        byte[] header = h.ToArray();
        header[0] = (byte)((header.Length + 4) / 4 - 1);
        var withCrc = new byte[header.Length + 4];
        header.CopyTo(withCrc, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(withCrc.AsSpan(header.Length), Crc32.Compute(header));
        return withCrc;
    }

    private static byte[] Index(long unpaddedSize, long uncompressedSize)
    {
        var x = new MemoryStream();
        x.WriteByte(0x00); // index indicator
        WriteVarInt(x, 1);
        WriteVarInt(x, (ulong)unpaddedSize);
        WriteVarInt(x, (ulong)uncompressedSize);
        WriteZeros(x, Padding(x.Length));
        WriteUInt32(x, Crc32.Compute(x.ToArray()));
        return x.ToArray();
    }

    /// <summary>xz's multibyte integers: 7 bits per byte, least significant first, high bit = more follows.</summary>
    public static void WriteVarInt(Stream s, ulong value)
    {
        while (value >= 0x80)
        {
            s.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        s.WriteByte((byte)value);
    }

    private static int Padding(long length) => (int)((4 - length % 4) % 4);

    private static void WriteZeros(Stream s, int count)
    {
        for (int i = 0; i < count; i++) s.WriteByte(0);
    }

    private static void WriteUInt32(Stream s, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        s.Write(b);
    }

    private static void WriteUInt64(Stream s, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        s.Write(b);
    }
}
