using System.Runtime.InteropServices;
using Kpk.Core;
using Kpk.Core.Compression;

namespace Kpk.Wedge.Deb;

/// <summary>
/// Compresses a package member to .xz exactly as Debian 12's dpkg-deb does for <c>-Zxz</c>:
/// through liblzma's multi-threaded stream encoder (lzma_stream_encoder_mt) with the level it
/// is given (dpkg's <c>-z</c>, plus LZMA_PRESET_EXTREME for <c>-Sextreme</c>), a CRC64 check,
/// no timeout and liblzma's default block size (three times the dictionary: 24 MiB at level 6),
/// so the same tar gives the same bytes as dpkg-deb's member. The encoder's output depends on the
/// block size, not on the number of threads: blocks are cut at fixed offsets and each is
/// compressed on its own, so kpk uses no more threads than there are blocks.
/// </summary>
public static unsafe class XzWriter
{
    /// <summary>dpkg-deb's default for <c>-Zxz</c>: level 6 (compressor_xz.default_level in dpkg's compress.c); what dh_builddeb gives a .deb.</summary>
    public const uint DebPreset = 6;
    /// <summary>What dh_builddeb gives a udeb: <c>dpkg-deb -z6 -Zxz -Sextreme</c>, level 6 | LZMA_PRESET_EXTREME.</summary>
    public const uint UdebPreset = 6 | ExtremeFlag;
    /// <summary>xz's fastest level (-0).</summary>
    public const uint FastestPreset = 0;
    private const uint ExtremeFlag = 0x80000000; // LZMA_PRESET_EXTREME

    /// <summary>liblzma's default block size for level 6 (also with -e): 3 × its 8 MiB dictionary; smaller levels have smaller blocks.</summary>
    private const long BlockSize = 3L * (8 << 20);

    /// <param name="preset">An xz level with flags, as dpkg passes it to liblzma: <see cref="DebPreset"/>, <see cref="UdebPreset"/> or <see cref="FastestPreset"/>.</param>
    public static byte[] Compress(byte[] input, uint preset)
    {
        var options = new Liblzma.MtOptions
        {
            Threads = (uint)Math.Clamp((input.Length + BlockSize - 1) / BlockSize, 1, Environment.ProcessorCount),
            BlockSize = 0, // liblzma's default for the preset, as dpkg-deb leaves it
            Timeout = 0,
            Preset = preset,
            Check = Liblzma.CheckCrc64,
        };
        var stream = new Liblzma.Stream();
        Check(Init(&stream, &options), "starting the encoder");
        return Liblzma.CodeAll(&stream, input, input.Length / 3 + 4096, r => Check(r, "compressing"));
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
