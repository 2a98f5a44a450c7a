using System.Text;
using Kpk.Wedge.Deb;
using Xunit;

namespace Kpk.Wedge.Build.Tests;

/// <summary>Every .xz written must pass <c>xz -t</c> and decompress to the input with the reference xz.</summary>
public class XzWriterTests
{
    public static TheoryData<string> Inputs() => new(InputNames);

    private static readonly string[] InputNames =
    [
        "empty", "one-byte", "text", "random-100k", "zeros-3M", "repeating-pattern", "mixed-5M", "elf-like", "short-reps",
    ];

    private static byte[] Make(string name)
    {
        var rng = new Random(name.GetHashCode(StringComparison.Ordinal) & 0x7fff);
        switch (name)
        {
            case "empty": return [];
            case "one-byte": return [0x42];
            case "text":
                return Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 20_000).Select(i => $"kernel/drivers/net/ethernet/vendor{i % 37}/driver{i % 101}.ko\n")));
            case "random-100k":
            {
                var b = new byte[100_000];
                rng.NextBytes(b);
                return b;
            }
            case "zeros-3M": return new byte[3 << 20];
            case "repeating-pattern":
                return Enumerable.Range(0, 300_000).Select(i => (byte)(i % 7 == 0 ? i / 7 % 251 : "abcdefg"[i % 7])).ToArray();
            case "mixed-5M":
            {
                // Random runs, copies of earlier stretches at all distances, and zero fill:
                // enough to fill several 2 MiB / 64 KiB chunk limits and mix stored and LZMA chunks.
                var b = new byte[5 << 20];
                int p = 0;
                while (p < b.Length)
                {
                    int kind = rng.Next(4);
                    int len = Math.Min(b.Length - p, rng.Next(1, 40_000));
                    if (kind == 0 || p < 1000) rng.NextBytes(b.AsSpan(p, len));
                    else if (kind == 1)
                    {
                        int from = rng.Next(0, p);
                        for (int i = 0; i < len; i++) b[p + i] = b[from + i];
                    }
                    else if (kind == 2) for (int i = 0; i < len; i++) b[p + i] = (byte)(i % 3);
                    p += len;
                }
                return b;
            }
            case "elf-like":
            {
                // Structured binary: little-endian records with small deltas, like symbol tables.
                var ms = new MemoryStream();
                var w = new BinaryWriter(ms);
                for (int i = 0; i < 60_000; i++)
                {
                    w.Write(i * 24);
                    w.Write((byte)(i % 3));
                    w.Write((byte)0);
                    w.Write((short)(i % 17));
                    w.Write(unchecked((long)0xffffffff81000000UL) + i * 64L);
                    w.Write((long)rng.Next(0, 512));
                }
                return ms.ToArray();
            }
            case "short-reps":
            {
                // Byte-by-byte near repeats exercise short reps, matched literals and rep1-3.
                var b = new byte[200_000];
                for (int i = 0; i < b.Length; i++) b[i] = (byte)(i < 16 ? i : rng.Next(8) == 0 ? rng.Next(256) : b[i - 1 - rng.Next(4) * 4]);
                return b;
            }
        }
        throw new ArgumentException(name);
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Reference_xz_decompresses_what_we_compress(string name)
    {
        var input = Make(name);
        var xz = XzWriter.Compress(input);
        ExternalTool.Check("xz", ["-t"], xz);
        var back = ExternalTool.Check("xz", ["-dc"], xz).Out;
        Assert.Equal(input.Length, back.Length);
        Assert.True(input.AsSpan().SequenceEqual(back), $"{name}: decompressed bytes differ");
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Stored_payload_is_valid_xz_too(string name)
    {
        var input = Make(name);
        var xz = XzWriter.Compress(input, compress: false);
        var back = ExternalTool.Check("xz", ["-dc"], xz).Out;
        Assert.True(input.AsSpan().SequenceEqual(back));
        Assert.True(xz.Length >= input.Length);
    }

    [Theory]
    [InlineData(65536, 0)]
    [InlineData(65537, 0)]
    [InlineData(2 << 20, 1)]
    [InlineData((2 << 20) + 1, 1)]
    [InlineData(131072 * 3 - 1, 2)]
    public void Chunk_boundaries_round_trip(int size, int kind)
    {
        var input = new byte[size];
        var rng = new Random(size);
        if (kind == 0) rng.NextBytes(input);
        else if (kind == 1) for (int i = 0; i < size; i++) input[i] = (byte)(i / 1000 % 3 == 0 ? rng.Next(256) : i % 251);
        else for (int i = 0; i < size; i++) input[i] = (byte)(i % 65536 < 40000 ? rng.Next(256) : 7);
        var back = ExternalTool.Check("xz", ["-dc"], XzWriter.Compress(input)).Out;
        Assert.True(input.AsSpan().SequenceEqual(back));
    }

    /// <summary>Many small random mixtures of literals, near and far repeats and runs: each must decode exactly.</summary>
    [Fact]
    public void Random_mixtures_round_trip()
    {
        for (int seed = 0; seed < 40; seed++)
        {
            var rng = new Random(seed);
            var b = new byte[rng.Next(0, 60_000)];
            int p = 0;
            int alphabet = rng.Next(2, 256);
            while (p < b.Length)
            {
                int len = Math.Min(b.Length - p, rng.Next(1, 300));
                switch (rng.Next(4))
                {
                    case 0:
                        for (int i = 0; i < len; i++) b[p + i] = (byte)rng.Next(alphabet);
                        break;
                    case 1 when p > 0:
                        int dist = rng.Next(1, Math.Min(p, 5000) + 1);
                        for (int i = 0; i < len; i++) b[p + i] = b[p + i - dist];
                        break;
                    case 2:
                        Array.Fill(b, (byte)rng.Next(256), p, len);
                        break;
                    default:
                        for (int i = 0; i < len; i++) b[p + i] = (byte)(p > 8 && rng.Next(3) > 0 ? b[p + i - 1 - rng.Next(Math.Min(p + i, 8))] : rng.Next(alphabet));
                        break;
                }
                p += len;
            }
            var back = ExternalTool.Check("xz", ["-dc"], XzWriter.Compress(b)).Out;
            Assert.True(b.AsSpan().SequenceEqual(back), $"seed {seed}: {b.Length} bytes do not round trip");
        }
    }

    [Fact]
    public void Compression_really_compresses()
    {
        var text = Make("text");
        var ours = XzWriter.Compress(text).Length;
        var reference = ExternalTool.Check("xz", ["-6", "-c"], text).Out.Length;
        Assert.True(ours < text.Length / 10, $"text of {text.Length} bytes compressed only to {ours}");
        // Not as good as xz's optimal parser, but in the same league.
        Assert.True(ours < reference * 2, $"ours {ours} bytes vs xz -6 {reference} bytes");
    }

    [Fact]
    public void Incompressible_data_grows_only_by_chunk_headers()
    {
        var random = Make("random-100k");
        var xz = XzWriter.Compress(random);
        Assert.True(xz.Length < random.Length + 200, $"{xz.Length} bytes for {random.Length} random bytes");
    }

    [Fact]
    public void Container_fields_are_what_xz_reports()
    {
        var input = Make("text");
        var xz = XzWriter.Compress(input);
        using var dir = Kpk.Tests.TestPaths.TempDir("kpk-xz");
        File.WriteAllBytes(dir["t.xz"], xz);
        var list = ExternalTool.Check("xz", ["--robot", "-lvv", dir["t.xz"]]).Text;
        // robot mode: "stream" and "block" lines are tab separated; check type and sizes must agree.
        var block = list.Split('\n').Single(l => l.StartsWith("block\t", StringComparison.Ordinal)).Split('\t');
        // block, stream, block in stream, block in file, compressed offset, uncompressed offset, total size,
        // uncompressed size, ratio, check, check value, header size, flags, compressed size, memory, filters
        Assert.Equal(input.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), block[7]);
        Assert.Equal("CRC64", block[9]);
        Assert.Equal("cu", block[12]); // both sizes stored in the block header, as dpkg-deb's xz does
        Assert.Contains("--lzma2=dict=", list);
        Assert.Equal(Crc64.Compute(input).ToString("x16"), block[10]);
    }

    [Fact]
    public void Same_input_gives_identical_bytes()
    {
        var input = Make("mixed-5M");
        Assert.Equal(XzWriter.Compress(input), XzWriter.Compress(input));
    }

    [Fact]
    public void Dictionary_size_byte_follows_the_format()
    {
        Assert.Equal(0, Lzma2Encoder.DictionarySizeByte(4096));
        Assert.Equal(22, Lzma2Encoder.DictionarySizeByte(8 << 20)); // what xz -6 writes
        Assert.Equal(4096, Lzma2Encoder.DictionarySizeFor(0));
        Assert.Equal(8 << 20, Lzma2Encoder.DictionarySizeFor(1L << 30));
        Assert.Equal(1 << 17, Lzma2Encoder.DictionarySizeFor(100_000));
    }
}
