using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;

namespace Kpk.Core.Compression;

/// <summary>
/// Reads a file that may be compressed the ways kernel modules are shipped, chosen by its
/// suffix: <c>.gz</c> (.NET's own), <c>.xz</c> (liblzma) and <c>.zst</c> (libzstd); anything else
/// is read as it is. A damaged or truncated stream is an error naming the file, never a short read.
/// </summary>
public static unsafe class CompressedFile
{
    /// <summary>The compression suffixes this reads (anything else is read as it is).</summary>
    public static readonly string[] Suffixes = [".gz", ".xz", ".zst"];

    /// <summary>
    /// The most a file may unpack to, and the most memory xz's decoder may use: far above any
    /// kernel module (the largest of Debian's are a few tens of MB; xz -9 decodes in 65 MiB), and
    /// a bound on what a hostile file can make kpk allocate.
    /// </summary>
    public const long MaxUnpacked = 512L << 20;
    private const ulong XzMemoryLimit = 256UL << 20;

    /// <summary>The file name without its compression suffix: binfmt_misc.ko.xz gives binfmt_misc.ko.</summary>
    public static string WithoutSuffix(string path) =>
        Suffixes.FirstOrDefault(s => path.EndsWith(s, StringComparison.Ordinal)) is { } s ? path[..^s.Length] : path;

    public static byte[] ReadAllBytes(string path, long maxUnpacked = MaxUnpacked)
    {
        try
        {
            if (path.EndsWith(".gz", StringComparison.Ordinal)) return Gzip(File.ReadAllBytes(path), path, maxUnpacked);
            if (path.EndsWith(".xz", StringComparison.Ordinal)) return Xz(File.ReadAllBytes(path), path, maxUnpacked);
            if (path.EndsWith(".zst", StringComparison.Ordinal)) return Zstd(File.ReadAllBytes(path), path, maxUnpacked);
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new KpkException($"{path}: {e.Message}");
        }
    }

    /// <summary>
    /// Decompresses a .gz file of one member, checked against the member's trailer (CRC-32 and
    /// size, RFC 1952): .NET's GZipStream ends quietly at the end of a truncated file.
    /// </summary>
    public static byte[] Gzip(byte[] input, string what, long maxUnpacked = MaxUnpacked)
    {
        if (input.Length < 18) throw new KpkException($"{what}: not a valid .gz file (only {input.Length} bytes)");
        using var gzip = new GZipStream(new MemoryStream(input), CompressionMode.Decompress);
        using var copy = new MemoryStream();
        var buffer = new byte[1 << 20];
        for (int n; (n = gzip.Read(buffer)) > 0;)
        {
            copy.Write(buffer, 0, n);
            if (copy.Length > maxUnpacked) throw TooLarge(what, maxUnpacked);
        }
        byte[] output = copy.ToArray();
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(input.AsSpan(input.Length - 8));
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(input.AsSpan(input.Length - 4));
        if (size != (uint)output.Length || crc != System.IO.Hashing.Crc32.HashToUInt32(output))
            throw new KpkException($"{what}: not a valid .gz file (truncated, or its CRC-32 or size does not match the data)");
        return output;
    }

    /// <summary>Decompresses an .xz file (every stream in it, as xz -d does).</summary>
    public static byte[] Xz(byte[] input, string what, long maxUnpacked = MaxUnpacked)
    {
        var stream = new Liblzma.Stream();
        Liblzma.Ret ret;
        try
        {
            ret = Liblzma.StreamDecoder(&stream, XzMemoryLimit, Liblzma.Concatenated);
        }
        catch (DllNotFoundException)
        {
            throw new KpkException($"{what}: reading .xz needs liblzma.so.5 (XZ Utils' library; on Debian: apt install liblzma5)");
        }
        if (ret != Liblzma.Ret.Ok) throw new KpkException($"{what}: xz: cannot start the decoder (liblzma error {ret})");
        // LZMA_FINISH: all the input is there; with LZMA_CONCATENATED the decoder ends at its end.
        return Liblzma.CodeAll(&stream, input, input.Length * 4, r => throw new KpkException($"{what}: not a valid .xz file ({XzReason(r)})"),
            maxUnpacked, () => TooLarge(what, maxUnpacked));
    }

    private static string XzReason(Liblzma.Ret ret) => ret switch
    {
        Liblzma.Ret.FormatError => "not in the .xz format",
        Liblzma.Ret.DataError => "the compressed data is corrupt",
        Liblzma.Ret.BufError => "the data is truncated",
        Liblzma.Ret.MemError => "out of memory",
        Liblzma.Ret.MemlimitError => $"it needs more than {XzMemoryLimit >> 20} MiB to decode, more than any module's stream",
        Liblzma.Ret.OptionsError => "unsupported options",
        _ => $"liblzma error {ret}",
    };

    /// <summary>Decompresses a .zst file (every frame in it, as zstd -d does).</summary>
    public static byte[] Zstd(byte[] input, string what, long maxUnpacked = MaxUnpacked)
    {
        nint ds;
        try
        {
            ds = Libzstd.CreateDStream();
        }
        catch (DllNotFoundException)
        {
            throw new KpkException($"{what}: reading .zst needs libzstd.so.1 (on Debian: apt install libzstd1)");
        }
        if (ds == 0) throw new KpkException($"{what}: zstd: cannot start the decoder");
        try
        {
            ZstdCheck(Libzstd.InitDStream(ds), what);
            var output = new MemoryStream(input.Length * 4);
            var buffer = new byte[1 << 20];
            fixed (byte* inPtr = input)
            fixed (byte* outPtr = buffer)
            {
                var inBuf = new Libzstd.InBuffer { Src = inPtr, Size = (nuint)input.Length, Pos = 0 };
                nuint pending = 1; // non-zero: a frame is not finished
                while (true)
                {
                    var outBuf = new Libzstd.OutBuffer { Dst = outPtr, Size = (nuint)buffer.Length, Pos = 0 };
                    pending = ZstdCheck(Libzstd.DecompressStream(ds, &outBuf, &inBuf), what);
                    output.Write(buffer, 0, (int)outBuf.Pos);
                    if (output.Length > maxUnpacked) throw TooLarge(what, maxUnpacked);
                    bool outputFull = outBuf.Pos == outBuf.Size;
                    if (inBuf.Pos == inBuf.Size && !outputFull) break;
                }
                // 0: the last frame ended and everything was flushed; anything else: cut short.
                if (pending != 0) throw new KpkException($"{what}: not a valid .zst file (the data is truncated)");
            }
            return output.ToArray();
        }
        finally
        {
            Libzstd.FreeDStream(ds);
        }
    }

    private static KpkException TooLarge(string what, long limit) =>
        new($"{what}: unpacks to more than {limit} bytes, more than any kernel module; not read");

    private static nuint ZstdCheck(nuint code, string what)
    {
        if (Libzstd.IsError(code) == 0) return code;
        string name = Marshal.PtrToStringUTF8((nint)Libzstd.GetErrorName(code)) ?? "unknown error";
        throw new KpkException($"{what}: not a valid .zst file ({name})");
    }
}
