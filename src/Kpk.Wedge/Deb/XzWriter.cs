using System.Runtime.InteropServices;
using Kpk.Core;

namespace Kpk.Wedge.Deb;

/// <summary>
/// Compresses a package member to .xz exactly as Debian 12's dpkg-deb does for <c>-Zxz</c>:
/// through liblzma's multi-threaded stream encoder (lzma_stream_encoder_mt) with preset 6,
/// a CRC64 check and liblzma's default block size (three times the dictionary: 24 MiB), so the
/// same tar gives the same bytes as dpkg-deb's member. The encoder's output depends on the
/// block size, not on the number of threads: blocks are cut at fixed offsets and each is
/// compressed on its own, so kpk uses no more threads than there are blocks.
/// </summary>
public static unsafe class XzWriter
{
    /// <summary>dpkg-deb's default xz level (compressor_xz.default_level in dpkg's compress.c).</summary>
    public const uint DpkgPreset = 6;
    /// <summary>xz's fastest level, for --no-compress.</summary>
    public const uint FastestPreset = 0;

    /// <summary>liblzma's default block size for preset 6: 3 × its 8 MiB dictionary.</summary>
    private const long BlockSize = 3L * (8 << 20);

    /// <param name="compress">False uses xz's fastest level instead of dpkg-deb's (faster, larger, still valid xz).</param>
    public static byte[] Compress(byte[] input, bool compress = true)
    {
        var options = new Liblzma.MtOptions
        {
            Threads = (uint)Math.Clamp((input.Length + BlockSize - 1) / BlockSize, 1, Environment.ProcessorCount),
            BlockSize = 0, // liblzma's default for the preset, as dpkg-deb leaves it
            Timeout = 0,
            Preset = compress ? DpkgPreset : FastestPreset,
            Check = Liblzma.CheckCrc64,
        };
        var stream = new Liblzma.Stream();
        Check(Init(&stream, &options), "starting the encoder");
        try
        {
            var output = new MemoryStream(input.Length / 3 + 4096);
            var buffer = new byte[1 << 20];
            fixed (byte* inPtr = input)
            fixed (byte* outPtr = buffer)
            {
                stream.NextIn = inPtr;
                stream.AvailIn = (nuint)input.Length;
                while (true)
                {
                    stream.NextOut = outPtr;
                    stream.AvailOut = (nuint)buffer.Length;
                    var ret = Liblzma.Code(&stream, Liblzma.Finish);
                    output.Write(buffer, 0, buffer.Length - (int)stream.AvailOut);
                    if (ret == Liblzma.Ret.StreamEnd) break;
                    Check(ret, "compressing");
                }
            }
            return output.ToArray();
        }
        finally
        {
            Liblzma.End(&stream);
        }
    }

    /// <summary>The liblzma in use, e.g. "5.4.1".</summary>
    public static string LibraryVersion() => Marshal.PtrToStringUTF8((nint)Liblzma.VersionString()) ?? "?";

    private static Liblzma.Ret Init(Liblzma.Stream* stream, Liblzma.MtOptions* options)
    {
        try
        {
            return Liblzma.StreamEncoderMt(stream, options);
        }
        catch (DllNotFoundException)
        {
            throw new KpkException("xz compression needs liblzma.so.5 (XZ Utils' library; on Debian: apt install liblzma5)");
        }
    }

    private static void Check(Liblzma.Ret ret, string what)
    {
        if (ret == Liblzma.Ret.Ok) return;
        string reason = ret switch
        {
            Liblzma.Ret.MemError => "out of memory",
            Liblzma.Ret.OptionsError => "unsupported compression options",
            Liblzma.Ret.UnsupportedCheck => "unsupported integrity check",
            _ => $"liblzma error {(int)ret} ({ret})",
        };
        throw new KpkException($"xz: {what}: {reason}");
    }
}
