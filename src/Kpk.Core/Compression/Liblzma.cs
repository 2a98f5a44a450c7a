using System.Runtime.InteropServices;

namespace Kpk.Core.Compression;

/// <summary>
/// The few entry points of liblzma (XZ Utils, <c>liblzma.so.5</c>, on every Debian system as
/// liblzma5) that compress a buffer to an .xz stream (the wedge's packages) and decompress one
/// (Debian's <c>.ko.xz</c> modules). Source-generated P/Invoke over blittable
/// structs only, so it needs no run-time marshalling code and works compiled ahead of time.
/// The struct layouts are liblzma 5's stable ABI (lzma/base.h, lzma/container.h).
/// </summary>
public static unsafe partial class Liblzma
{
    private const string Library = "liblzma.so.5";

    public const uint CheckCrc64 = 4;    // LZMA_CHECK_CRC64
    public const int Run = 0, Finish = 3; // lzma_action: LZMA_RUN, LZMA_FINISH
    public const uint Concatenated = 0x08; // LZMA_CONCATENATED: a file may hold several .xz streams

    /// <summary>lzma_ret values the encoder and decoder can return.</summary>
    public enum Ret
    {
        Ok = 0, StreamEnd = 1, NoCheck = 2, UnsupportedCheck = 3, GetCheck = 4, MemError = 5,
        MemlimitError = 6, FormatError = 7, OptionsError = 8, DataError = 9, BufError = 10, ProgError = 11,
    }

    /// <summary>lzma_stream (136 bytes on 64-bit): the buffers, then fields liblzma owns or reserves.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Stream
    {
        public byte* NextIn;
        public nuint AvailIn;
        public ulong TotalIn;
        public byte* NextOut;
        public nuint AvailOut;
        public ulong TotalOut;
        public nint Allocator;
        public nint Internal;
        public nint ReservedPtr1, ReservedPtr2, ReservedPtr3, ReservedPtr4;
        public ulong SeekPos, ReservedInt2;
        public nuint ReservedInt3, ReservedInt4;
        public int ReservedEnum1, ReservedEnum2;
    }

    /// <summary>lzma_mt (128 bytes on 64-bit): options of the multi-threaded stream encoder.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MtOptions
    {
        public uint Flags;
        public uint Threads;
        public ulong BlockSize;
        public uint Timeout;
        public uint Preset;
        public nint Filters;
        public uint Check;
        public int ReservedEnum1, ReservedEnum2, ReservedEnum3;
        public uint ReservedInt1, ReservedInt2, ReservedInt3, ReservedInt4;
        public ulong MemlimitThreading, MemlimitStop, ReservedInt7, ReservedInt8;
        public nint ReservedPtr1, ReservedPtr2, ReservedPtr3, ReservedPtr4;
    }

    [LibraryImport(Library, EntryPoint = "lzma_stream_encoder_mt")]
    public static partial Ret StreamEncoderMt(Stream* stream, MtOptions* options);

    /// <summary>
    /// Runs a started coder (encoder or decoder) over all of <paramref name="input"/> with
    /// LZMA_FINISH until the stream ends, and ends the coder. Any other result than Ok or
    /// StreamEnd goes to <paramref name="fail"/>, which throws; output past
    /// <paramref name="maxOutput"/> throws what <paramref name="tooLarge"/> makes.
    /// </summary>
    public static byte[] CodeAll(Stream* stream, byte[] input, int expectedSize, Action<Ret> fail,
        long maxOutput = int.MaxValue, Func<Exception>? tooLarge = null)
    {
        try
        {
            var output = new MemoryStream(expectedSize);
            var buffer = new byte[1 << 20];
            fixed (byte* inPtr = input)
            fixed (byte* outPtr = buffer)
            {
                stream->NextIn = inPtr;
                stream->AvailIn = (nuint)input.Length;
                while (true)
                {
                    stream->NextOut = outPtr;
                    stream->AvailOut = (nuint)buffer.Length;
                    var ret = Code(stream, Finish);
                    output.Write(buffer, 0, buffer.Length - (int)stream->AvailOut);
                    if (output.Length > maxOutput) throw tooLarge?.Invoke() ?? new InvalidOperationException($"output past {maxOutput} bytes");
                    if (ret == Ret.StreamEnd) return output.ToArray();
                    if (ret != Ret.Ok) fail(ret);
                }
            }
        }
        finally
        {
            End(stream);
        }
    }

    [LibraryImport(Library, EntryPoint = "lzma_stream_decoder")]
    public static partial Ret StreamDecoder(Stream* stream, ulong memlimit, uint flags);

    [LibraryImport(Library, EntryPoint = "lzma_code")]
    public static partial Ret Code(Stream* stream, int action);

    [LibraryImport(Library, EntryPoint = "lzma_end")]
    public static partial void End(Stream* stream);

    [LibraryImport(Library, EntryPoint = "lzma_version_string")]
    public static partial byte* VersionString();
}
