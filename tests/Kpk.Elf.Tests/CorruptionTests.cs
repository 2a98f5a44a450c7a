using Kpk.Elf;
using Kpk.Tests;
using Xunit;

namespace Kpk.Elf.Tests;

/// <summary>
/// Malformed input must end in an <see cref="ElfFormatException"/> naming the file, never in
/// another exception: truncations, random byte flips, and targeted damage to every field the
/// reader trusts.
/// </summary>
[Trait("Tier", Tier.Conformance)]
public class CorruptionTests
{
    private static readonly string[] Samples = ["cold-add.ORIG.o", "special-static.PATCHED.o", "clang-lstr.ORIG.o", "jump-label-issue-1021.ORIG.o"];

    private static void ReadAndWrite(byte[] bytes, string name)
    {
        try
        {
            using var obj = ElfObject.Parse(bytes, name);
            ElfWriter.ToBytes(obj);
        }
        catch (ElfFormatException e)
        {
            Assert.StartsWith(name + ": ", e.Message);
        }
        catch (Kpk.Core.KpkException e) when (e.Message.StartsWith(name + ": ", StringComparison.Ordinal))
        {
            // The writer may refuse a model it cannot write back (e.g. a symbol in a removed section); named too.
        }
    }

    /// <summary>The bytes the reader needs: the end of the section header table or of the last section's contents, whichever is later.</summary>
    private static int NeededLength(byte[] original)
    {
        using var image = ElfImage.Parse((byte[])original.Clone(), "ok.o");
        ulong end = BitConverter.ToUInt64(original, 40) + (ulong)image.Sections.Count * 64;
        foreach (var h in image.Sections)
            if (h.Type is not (SectionType.NoBits or SectionType.Null)) end = Math.Max(end, h.Offset + h.Size);
        return (int)end;
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Every_truncation_is_an_error_naming_the_file(string sample)
    {
        byte[] original = File.ReadAllBytes(Path.Combine(TestPaths.DiffObjectCases, sample));
        int needed = NeededLength(original);
        Assert.InRange(needed, original.Length / 2, original.Length);
        int stride = Math.Max(1, original.Length / 400);
        int refused = 0;
        // Every stride-th cut, and every cut within the last bytes the reader needs.
        var lengths = Enumerable.Range(0, original.Length / stride).Select(i => i * stride)
            .Concat(Enumerable.Range(Math.Max(0, needed - 16), 16)).Where(l => l < original.Length).Distinct();
        foreach (int length in lengths)
        {
            var bytes = original.AsSpan(0, length).ToArray();
            var e = Record.Exception(() => ElfObject.Parse(bytes, "truncated.o").Dispose());
            if (length >= needed)
            {
                // Only padding after everything the file refers to was cut: it must still read.
                Assert.Null(e);
                continue;
            }
            var format = Assert.IsType<ElfFormatException>(e);
            Assert.StartsWith("truncated.o: ", format.Message);
            refused++;
        }
        Assert.True(refused >= 300, $"only {refused} truncations were refused");
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Random_byte_flips_never_escape_as_other_exceptions(string sample)
    {
        byte[] original = File.ReadAllBytes(Path.Combine(TestPaths.DiffObjectCases, sample));
        var random = new Random(20261122);
        for (int round = 0; round < 300; round++)
        {
            var bytes = (byte[])original.Clone();
            int flips = 1 + random.Next(8);
            for (int i = 0; i < flips; i++)
            {
                // Bias half the flips into the headers, where damage matters most.
                int at = random.Next(2) == 0 ? random.Next(Math.Min(64, bytes.Length)) : random.Next(bytes.Length);
                bytes[at] ^= (byte)(1 << random.Next(8));
            }
            ReadAndWrite(bytes, $"flipped-{round}.o");
        }
    }

    public static IEnumerable<object[]> SampleNames() => Samples.Select(s => new object[] { s });

    public static IEnumerable<object[]> HeaderFields() =>
    [
        ["class", 4, 1, "ELF64"],
        ["data", 5, 2, "little-endian"],
        ["e_shoff", 40, 0xff, "outside the file"],
        ["e_shentsize", 58, 10, "entry size"],
        ["e_shstrndx", 62, 0xee, "out of range"],
        ["magic", 1, (int)'X', "bad magic"],
    ];

    [Theory]
    [MemberData(nameof(HeaderFields))]
    public void Damaged_header_field_is_named(string field, int offset, int value, string expected)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(TestPaths.DiffObjectCases, "cold-add.ORIG.o"));
        bytes[offset] = (byte)value;
        if (field == "e_shoff") { bytes[offset + 1] = 0xff; bytes[offset + 2] = 0xff; }
        var e = Assert.Throws<ElfFormatException>(() => ElfObject.Parse(bytes, "bad.o"));
        Assert.StartsWith("bad.o: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("sh_offset", 24, "outside the file")]
    [InlineData("sh_size", 32, "outside the file")]
    [InlineData("sh_link", 40, "sh_link")]
    [InlineData("sh_name", 0, "string offset")]
    public void Damaged_section_header_is_named(string field, int fieldOffset, string expected)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(TestPaths.DiffObjectCases, "cold-add.ORIG.o"));
        using var image = ElfImage.Parse((byte[])bytes.Clone(), "ok.o");
        int symtab = image.FindSection(SectionType.SymTab);
        long shoff = BitConverter.ToInt64(bytes, 40);
        int at = (int)shoff + symtab * 64 + fieldOffset;
        // Large values: far past the file, any table, any string.
        bytes[at + 2] = 0x7f;
        bytes[at + 3] = 0x7f;
        var e = Assert.Throws<ElfFormatException>(() => ElfObject.Parse(bytes, "bad.o"));
        Assert.StartsWith("bad.o: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("st_name", 0, "string offset")]
    [InlineData("st_shndx", 6, "section index")]
    public void Damaged_symbol_is_named(string field, int fieldOffset, string expected)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(TestPaths.DiffObjectCases, "cold-add.ORIG.o"));
        using var image = ElfImage.Parse((byte[])bytes.Clone(), "ok.o");
        int symtab = image.FindSection(SectionType.SymTab);
        int at = (int)image.Sections[symtab].Offset + 5 * 24 + fieldOffset;
        bytes[at] = 0x00;
        bytes[at + 1] = 0xf0;
        var e = Assert.Throws<ElfFormatException>(() => ElfObject.Parse(bytes, "bad.o"));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Damaged_relocation_symbol_index_is_named()
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(TestPaths.DiffObjectCases, "cold-add.ORIG.o"));
        using var image = ElfImage.Parse((byte[])bytes.Clone(), "ok.o");
        int rela = image.FindSection(SectionType.Rela);
        int at = (int)image.Sections[rela].Offset + 8 + 6; // high bytes of r_info's symbol index
        bytes[at] = 0x7f;
        var e = Assert.Throws<ElfFormatException>(() => ElfObject.Parse(bytes, "bad.o"));
        Assert.Contains("symbol index", e.Message);
    }

    [Fact]
    public void Cli_reports_a_bad_file_in_one_line_with_exit_1()
    {
        using var tmp = TestPaths.TempDir("kpk-elf");
        string bad = tmp["bad.o"];
        File.WriteAllBytes(bad, File.ReadAllBytes(Path.Combine(TestPaths.DiffObjectCases, "cold-add.ORIG.o")).AsSpan(0, 200).ToArray());
        var r = KpkProcess.Run("elf", "dump", bad);
        Assert.Equal(1, r.Exit);
        Assert.StartsWith($"kpk: {bad}: ", r.Err);
        Assert.Single(r.Err.TrimEnd().Split('\n'));
        var missing = KpkProcess.Run("elf", "copy", tmp["nothing.o"], tmp["out.o"]);
        Assert.Equal(1, missing.Exit);
        Assert.Contains("no such file", missing.Err);
        Assert.False(File.Exists(tmp["out.o"]));
    }
}
