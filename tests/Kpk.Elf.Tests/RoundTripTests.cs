using Kpk.Elf;
using Kpk.Tests;
using Xunit;

namespace Kpk.Elf.Tests;

public class RoundTripTests
{
    public static IEnumerable<object[]> ConformanceObjects() =>
        Directory.GetFiles(TestPaths.DiffObjectCases, "*.o").Order().Select(f => new object[] { Path.GetFileName(f) });

    [Theory]
    [Trait("Tier", Tier.Conformance)]
    [MemberData(nameof(ConformanceObjects))]
    public void Conformance_object_writes_back_identical(string name)
    {
        string path = Path.Combine(TestPaths.DiffObjectCases, name);
        using var original = ElfObject.Read(path);
        byte[] written = ElfWriter.ToBytes(original);
        using var copy = ElfObject.Parse(written, name + " (written)");
        ElfAssert.SameContent(original, copy);
    }

}

/// <summary>Compares two objects the way the round-trip promise is stated: everything but file offsets.</summary>
public static class ElfAssert
{
    public static void SameContent(ElfObject expected, ElfObject actual)
    {
        Assert.Equal(expected.Sections.Count, actual.Sections.Count);
        for (int i = 0; i < expected.Sections.Count; i++)
        {
            ElfSection e = expected.Sections[i], a = actual.Sections[i];
            string where = $"section {e.Index} {e.Name}";
            Assert.True(e.Name == a.Name, $"{where}: name {a.Name}");
            Assert.True(e.Type == a.Type, $"{where}: type {a.Type}");
            Assert.True(e.Flags == a.Flags, $"{where}: flags {a.Flags}");
            Assert.True(e.Size == a.Size, $"{where}: size {a.Size} != {e.Size}");
            Assert.True(e.Link?.Index == a.Link?.Index, $"{where}: link");
            Assert.True(e.InfoSection?.Index == a.InfoSection?.Index && e.InfoValue == a.InfoValue, $"{where}: info");
            Assert.True(e.Alignment == a.Alignment, $"{where}: alignment");
            Assert.True(e.EntrySize == a.EntrySize, $"{where}: entry size");
            Assert.True(e.Data.Span.SequenceEqual(a.Data.Span), $"{where}: contents differ");
        }
        Assert.Equal(expected.Symbols.Count, actual.Symbols.Count);
        for (int i = 0; i < expected.Symbols.Count; i++)
        {
            ElfSymbol e = expected.Symbols[i], a = actual.Symbols[i];
            Assert.Equal((e.Name, e.Binding, e.Type, e.Other, e.Value, e.Size, e.Section?.Index, e.SpecialIndex),
                (a.Name, a.Binding, a.Type, a.Other, a.Value, a.Size, a.Section?.Index, a.SpecialIndex));
        }
        foreach (var (e, a) in expected.Sections.Zip(actual.Sections).Where(p => p.First.Relocations != null))
        {
            Assert.NotNull(a.Relocations);
            Assert.Equal(e.Relocations!.Select(r => (r.Offset, r.Type, r.Symbol?.Index, r.Addend)),
                a.Relocations!.Select(r => (r.Offset, r.Type, r.Symbol?.Index, r.Addend)));
        }
    }
}
