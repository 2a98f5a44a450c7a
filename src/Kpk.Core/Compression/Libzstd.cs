using System.Runtime.InteropServices;

namespace Kpk.Core.Compression;

/// <summary>
/// The streaming decoder of libzstd (<c>libzstd.so.1</c>, on every Debian system as libzstd1,
/// which dpkg itself needs): what <c>.ko.zst</c> modules (Ubuntu's, and kernels built with
/// CONFIG_MODULE_COMPRESS_ZSTD) are read with. zstd.h's stable API, blittable structs only.
/// </summary>
public static unsafe partial class Libzstd
{
    private const string Library = "libzstd.so.1";

    /// <summary>ZSTD_inBuffer.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct InBuffer
    {
        public byte* Src;
        public nuint Size;
        public nuint Pos;
    }

    /// <summary>ZSTD_outBuffer.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct OutBuffer
    {
        public byte* Dst;
        public nuint Size;
        public nuint Pos;
    }

    [LibraryImport(Library, EntryPoint = "ZSTD_createDStream")]
    public static partial nint CreateDStream();

    [LibraryImport(Library, EntryPoint = "ZSTD_initDStream")]
    public static partial nuint InitDStream(nint stream);

    [LibraryImport(Library, EntryPoint = "ZSTD_decompressStream")]
    public static partial nuint DecompressStream(nint stream, OutBuffer* output, InBuffer* input);

    [LibraryImport(Library, EntryPoint = "ZSTD_freeDStream")]
    public static partial nuint FreeDStream(nint stream);

    [LibraryImport(Library, EntryPoint = "ZSTD_isError")]
    public static partial uint IsError(nuint code);

    [LibraryImport(Library, EntryPoint = "ZSTD_getErrorName")]
    public static partial byte* GetErrorName(nuint code);
}
