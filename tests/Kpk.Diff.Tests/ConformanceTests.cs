using Kpk.Elf;
using Kpk.Tests;
using Xunit;

namespace Kpk.Diff.Tests;

/// <summary>
/// Every case of ../shared/conformance/diff-object/ARCH/cases.tsv (x86_64, ppc64le, aarch64):
/// real kernel object pairs with the outcome and the exact sets of replaced and new functions
/// the reference reports.
/// </summary>
[Trait("Tier", Tier.Conformance)]
public class ConformanceTests
{
    public sealed record Case(string Arch, string Name, string Expect, string[] Replaced, string[] New, string Sizes)
    {
        public override string ToString() => $"{Arch}/{Name}";
    }

    private static IEnumerable<object[]> CasesOf(string arch)
    {
        var lines = File.ReadAllLines(Path.Combine(TestPaths.Conformance, "diff-object", arch, "cases.tsv"));
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var f = line.Split('\t');
            static string[] List(string s) => s == "-" ? [] : s.Split(',').Order(StringComparer.Ordinal).ToArray();
            yield return [new Case(arch, f[0], f[1], List(f[2]), List(f[3]), f[4])];
        }
    }

    public static IEnumerable<object[]> Cases() => CasesOf("x86_64");
    public static IEnumerable<object[]> Ppc64leCases() => CasesOf("ppc64le");
    public static IEnumerable<object[]> Aarch64Cases() => CasesOf("aarch64");

    [Fact]
    public void All_cases_are_present()
    {
        Assert.Equal(28, Cases().Count());
        Assert.Equal(21, Ppc64leCases().Count());
        Assert.Equal(5, Aarch64Cases().Count());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_gives_the_expected_outcome_and_functions(Case c) => Run(c);

    [Theory]
    [MemberData(nameof(Ppc64leCases))]
    public void Ppc64le_case_gives_the_expected_outcome_and_functions(Case c) => Run(c);

    [Theory]
    [MemberData(nameof(Aarch64Cases))]
    public void Aarch64_case_gives_the_expected_outcome_and_functions(Case c) => Run(c);

    private static void Run(Case c)
    {
        string dir = Path.Combine(TestPaths.Conformance, "diff-object", c.Arch);
        string orig = Path.Combine(dir, c.Name + ".ORIG.o");
        string patched = Path.Combine(dir, c.Name + ".PATCHED.o");
        if (!File.Exists(patched)) patched = Path.Combine(dir, c.Name + ".PATCHED.FAIL.o");
        string symvers = Path.Combine(dir, c.Name + ".symvers");
        var options = new DiffOptions
        {
            Parent = ParentSymbolTable.Load(orig),
            Exports = File.Exists(symvers) ? ModuleSymvers.Load(symvers) : ModuleSymvers.Empty,
            PatchName = "test_" + c.Name,
            SpecialSizes = c.Sizes == "-" ? new SpecialSectionSizes() : new SpecialSectionSizes().With(c.Sizes),
        };
        using var o = ElfObject.Read(orig);
        using var p = ElfObject.Read(patched);
        var result = ObjectDiffer.Diff(o, p, options);

        string outcome = result.Outcome switch { DiffOutcome.Patched => "patched", DiffOutcome.NoChange => "no-change", _ => "unsupported" };
        Assert.True(c.Expect == outcome, $"{c.Name}: expected {c.Expect}, got {outcome}: {string.Join("; ", result.Errors)}");
        Assert.Equal(c.Replaced, result.Replaced.Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(c.New, result.New.Order(StringComparer.Ordinal).ToArray());
        if (result.Outcome == DiffOutcome.Unsupported) Assert.NotEmpty(result.Errors);
        if (result.Outcome != DiffOutcome.Patched) return;

        // The patch object is a valid ELF object the toolchain accepts, and holds the bodies of
        // exactly the replaced and new functions.
        using var tmp = TestPaths.TempDir("kpk-conf");
        string output = tmp["out.o"];
        ElfWriter.Write(result.Output!, output, new ElfWriteOptions { CompactStringTables = true });
        Tools.AssertToolsAccept(output, CrossTools.Prefix(c.Arch));
        using var written = ElfObject.Read(output);
        // Every relocation is one the kernel's module loader (or the livepatch core, through it) applies.
        var arch = Architecture.For(written.Machine, output);
        foreach (var s in written.Sections.Where(s => s.Relocations != null))
            foreach (var r in s.Relocations!)
                Assert.True(arch.ModuleLoaderAccepts(r.Type), $"{s.Name}+0x{r.Offset:x}: {arch.RelocationName(r.Type)} is not applied by the {arch.Name} module loader");
        var defined = written.Symbols.Where(s => s.Type == SymbolType.Func && s.Section != null && !s.Name.StartsWith("kpk.new.", StringComparison.Ordinal))
            .Select(s => s.Name).ToHashSet();
        foreach (var f in c.Replaced.Concat(c.New)) Assert.Contains(f, defined);
        Assert.Equal(c.Replaced.Length, result.Functions.Count);
        foreach (var fn in result.Functions)
        {
            var alias = written.FindSymbol(fn.Alias);
            Assert.NotNull(alias);
            Assert.Equal(SymbolBinding.Global, alias!.Binding);
            Assert.Equal(SymbolBinding.Local, written.FindSymbol(fn.Name)!.Binding);
        }
        // Every livepatch binding is an undefined symbol used by some relocation.
        var used = written.Sections.Where(s => s.Relocations != null).SelectMany(s => s.Relocations!).Select(r => r.Symbol?.Name).ToHashSet();
        foreach (var b in result.Bindings)
        {
            var sym = written.FindSymbol(b.KlpSymbolName);
            Assert.NotNull(sym);
            Assert.True(sym!.IsUndefined);
            Assert.Contains(b.KlpSymbolName, used);
        }
        // No undefined local symbols: the loader could not resolve them.
        Assert.DoesNotContain(written.Symbols, s => s.IsUndefined && s.IsLocal);
    }
}
