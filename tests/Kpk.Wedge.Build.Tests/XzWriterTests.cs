using System.Text;
using Kpk.Wedge.Deb;
using Xunit;

namespace Kpk.Wedge.Build.Tests;

/// <summary>
/// kpk's xz members are liblzma's multi-threaded encoder at dpkg-deb's settings: byte for byte
/// what XZ Utils' own xz writes in multi-threaded mode at -6 (the whole-package comparison with
/// dpkg-deb is in UdebReferenceTests), whatever the number of threads, and the fast level still
/// decompresses to the input.
/// </summary>
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
                // Random runs, copies of earlier stretches at all distances, and zero fill.
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
                // Byte-by-byte near repeats.
                var b = new byte[200_000];
                for (int i = 0; i < b.Length; i++) b[i] = (byte)(i < 16 ? i : rng.Next(8) == 0 ? rng.Next(256) : b[i - 1 - rng.Next(4) * 4]);
                return b;
            }
        }
        throw new ArgumentException(name);
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Same_bytes_as_multithreaded_xz_6(string name)
    {
        var input = Make(name);
        var mine = XzWriter.Compress(input, XzWriter.DebPreset);
        Assert.Equal(Xz(input, "-6", "-T2"), mine);
        Assert.True(input.AsSpan().SequenceEqual(ExternalTool.Check("xz", ["-dc"], mine).Out), $"{name}: decompressed bytes differ");
        Assert.Equal(Xz(input, "-6e", "-T2"), XzWriter.Compress(input, XzWriter.UdebPreset));
    }

    [Fact]
    public void Several_blocks_give_the_same_bytes_whatever_the_number_of_threads()
    {
        // 3 blocks of liblzma's 24 MiB: cheap to compress (long repeats), yet cut where the format says.
        var input = new byte[(50 << 20) + 12345];
        var rng = new Random(7);
        for (int p = 0; p < input.Length; p += 4096) input[p + rng.Next(4096) % Math.Min(4096, input.Length - p)] = (byte)rng.Next(256);
        var mine = XzWriter.Compress(input, XzWriter.DebPreset);
        Assert.Equal(Xz(input, "-6", "-T2"), mine);
        Assert.Equal(Xz(input, "-6", "-T3"), mine);
        Assert.Equal(3, XzList(mine).Split('\n').Count(l => l.StartsWith("block\t", StringComparison.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void The_fast_level_is_valid_xz_too(string name)
    {
        var input = Make(name);
        var xz = XzWriter.Compress(input, XzWriter.FastestPreset);
        Assert.Equal(Xz(input, "-0", "-T2"), xz);
        Assert.True(input.AsSpan().SequenceEqual(ExternalTool.Check("xz", ["-dc"], xz).Out));
    }

    [Fact]
    public void The_check_is_crc64_as_dpkg_deb_writes()
    {
        Assert.Contains("\tCRC64\t", XzList(XzWriter.Compress(Make("text"), XzWriter.UdebPreset)));
    }

    [Theory]
    [InlineData(XzWriter.DebPreset, new[] { "-Zxz" })]
    [InlineData(XzWriter.UdebPreset, new[] { "-z6", "-Zxz", "-Sextreme" })]
    public void Members_are_what_dpkg_deb_compresses(uint preset, string[] options)
    {
        using var dir = Kpk.Tests.TestPaths.TempDir("kpk-xz-deb");
        Directory.CreateDirectory(dir["pkg/DEBIAN"]);
        Directory.CreateDirectory(dir["pkg/usr/lib/x"]);
        File.WriteAllText(dir["pkg/DEBIAN/control"], "Package: x\nVersion: 1\nArchitecture: all\nMaintainer: A <a@example.org>\nDescription: d\n");
        File.WriteAllBytes(dir["pkg/usr/lib/x/elf"], Make("elf-like"));
        File.WriteAllBytes(dir["pkg/usr/lib/x/text"], Make("text"));
        ExternalTool.Check("dpkg-deb", ["--root-owner-group", .. options, "--build", dir["pkg"], dir["x.deb"]],
            environment: new Dictionary<string, string> { ["SOURCE_DATE_EPOCH"] = "1700000000" });
        foreach (string member in new[] { "control.tar.xz", "data.tar.xz" })
        {
            byte[] xz = ExternalTool.Check("ar", ["p", dir["x.deb"], member]).Out;
            byte[] tar = ExternalTool.Check("xz", ["-dc"], xz).Out;
            Assert.Equal(xz, XzWriter.Compress(tar, preset));
        }
    }

    /// <summary>What <c>xz --list --robot -v</c> says of XZ (it reads only files).</summary>
    private static string XzList(byte[] xz)
    {
        string file = Path.Combine(Path.GetTempPath(), $"kpk-xz-{Guid.NewGuid():N}.xz");
        File.WriteAllBytes(file, xz);
        try { return Encoding.ASCII.GetString(ExternalTool.Check("xz", ["--robot", "-lv", file]).Out); }
        finally { File.Delete(file); }
    }

    /// <summary>XZ Utils' xz on INPUT from standard input (size unknown to it, as a pipe from tar is).</summary>
    private static byte[] Xz(byte[] input, params string[] options) => ExternalTool.Check("xz", [.. options, "-c"], input).Out;
}
