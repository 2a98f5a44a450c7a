using Kpk.Elf;
using Kpk.Tests;
using Xunit;

namespace Kpk.Diff.Tests;

/// <summary>
/// clang's anonymous constants (<c>.data..L__unnamed_N</c>, as UBSAN emits them): numbered in
/// emission order, so a change to one function renumbers those of the functions after it.
/// </summary>
public class ClangConstantTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.TempDir("kpk-clang");
    public void Dispose() => _dir.Dispose();

    private const string Source = """
        extern int printk(const char *fmt, ...);
        struct s { int a[4]; };
        int first(struct s *p, int i) { return printk("first %d\n", p->a[i]); }
        int second(int *p, int i) { return p[i] + printk("second\n"); }
        """;

    private string Compile(string variant, string source)
    {
        string dir = Path.Combine(_dir.Path, variant);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "u.c"), source);
        var (exit, _, err) = Tools.Run("clang", "-O2 -ffunction-sections -fdata-sections -fsanitize=bounds,alignment,null,signed-integer-overflow " +
                                                "-pg -mfentry -fno-PIE -mcmodel=kernel -w -c u.c -o u.o", dir);
        Assert.True(exit == 0, "clang: " + err);
        return Path.Combine(dir, "u.o");
    }

    [Fact]
    public void Renumbered_anonymous_constants_are_not_changes_and_a_changed_function_gets_fresh_copies()
    {
        // One more array access in first, on the same line: one more descriptor, all of second's renumbered.
        string orig = Compile("orig", Source);
        string patched = Compile("patched", Source.Replace("p->a[i]);", "p->a[i] + p->a[i + 1]);"));
        using var o = ElfObject.Read(orig);
        using var p = ElfObject.Read(patched);
        Assert.Contains(o.Sections, s => s.Name.StartsWith(".data..L__unnamed_", StringComparison.Ordinal));

        var result = ObjectDiffer.Diff(o, p, new DiffOptions { Parent = ParentSymbolTable.Load(orig) });

        Assert.True(result.Outcome == DiffOutcome.Patched, string.Join("; ", result.Errors));
        Assert.Equal(["first"], result.Replaced);
        string output = Path.Combine(_dir.Path, "patch.o");
        ElfWriter.Write(result.Output!, output, new ElfWriteOptions { CompactStringTables = true });
        Tools.AssertToolsAccept(output);
        using var written = ElfObject.Read(output);
        // first's descriptors are carried, as defined copies its code refers to; none are bound to the running kernel.
        var first = written.FindSection(".text.first")!;
        var refs = written.RelocationSectionsFor(first).SelectMany(r => r.Relocations!)
            .Where(r => r.Symbol?.Section?.Name.Contains("..L__unnamed_", StringComparison.Ordinal) == true).ToList();
        Assert.NotEmpty(refs);
        Assert.DoesNotContain(result.Bindings, b => b.Name.Contains("L__unnamed", StringComparison.Ordinal));
        Assert.Null(written.FindSection(".text.second"));
    }
}
