using Kpk.Elf;
using Kpk.Tests;
using Xunit;

namespace Kpk.Diff.Tests;

/// <summary>
/// Objects made by <c>ld -r</c> of several compilation units (as vmlinux.o is): one STT_FILE
/// block per unit, and same-named sections merged, so that a static function several files
/// define is several symbols in one <c>.text.NAME</c>.
/// </summary>
public class LinkedObjectTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.TempDir("kpk-ldr");
    public void Dispose() => _dir.Dispose();

    private const string First = """
        extern int printk(const char *fmt, ...);
        static __attribute__((noinline)) int helper(int x) { return printk("first %d\n", x); }
        static int counter;
        int first(int x) { counter++; return helper(x) + counter; }
        """;

    private const string Second = """
        extern int printk(const char *fmt, ...);
        static __attribute__((noinline)) int helper(int x) { return printk("second %d\n", x) * 2; }
        static int counter;
        int second(int x) { counter += 2; return helper(x) + counter; }
        """;

    private string Link(string variant, string first, string second)
    {
        string a = Tools.Compile(_dir.Path, "first", first, variant);
        string b = Tools.Compile(_dir.Path, "second", second, variant);
        string linked = Path.Combine(_dir.Path, variant, "built-in.o");
        var (exit, _, err) = Tools.Run("ld", $"-r -o {linked} {a} {b}");
        Assert.True(exit == 0, err);
        return linked;
    }

    [Fact]
    public void Each_local_binds_in_the_file_block_it_sits_in()
    {
        string orig = Link("orig", First, Second);
        string patched = Link("patched", First, Second.Replace("counter += 2;", "counter += 3;"));
        using var o = ElfObject.Read(orig);
        using var p = ElfObject.Read(patched);
        // ld -r merged the two .text.helper sections: two helpers in one section.
        var helpers = o.Symbols.Where(s => s.Name == "helper").ToList();
        Assert.Equal(2, helpers.Count);
        Assert.Same(helpers[0].Section, helpers[1].Section);
        Assert.Equal(2, o.Symbols.Count(s => s.Type == SymbolType.File));

        var result = ObjectDiffer.Diff(o, p, new DiffOptions { Parent = ParentSymbolTable.Load(orig) });

        Assert.True(result.Outcome == DiffOutcome.Patched, string.Join("; ", result.Errors));
        Assert.Equal(["second"], result.Replaced);
        // second's helper and counter are the second file block's: sympos 2 of two same-named locals.
        Assert.Contains(result.Bindings, b => b.Name == "helper" && b.Sympos == 2);
        Assert.Contains(result.Bindings, b => b.Name == "counter" && b.Sympos == 2);
        Assert.DoesNotContain(result.Bindings, b => b.Sympos == 1);
        string output = Path.Combine(_dir.Path, "patch.o");
        ElfWriter.Write(result.Output!, output, new ElfWriteOptions { CompactStringTables = true });
        Tools.AssertToolsAccept(output);
    }

    [Fact]
    public void A_change_to_a_merged_section_is_refused_naming_it()
    {
        string orig = Link("orig", First, Second);
        string patched = Link("patched", First, Second.Replace("* 2;", "* 3;"));
        using var o = ElfObject.Read(orig);
        using var p = ElfObject.Read(patched);
        var result = ObjectDiffer.Diff(o, p, new DiffOptions { Parent = ParentSymbolTable.Load(orig) });
        Assert.Equal(DiffOutcome.Unsupported, result.Outcome);
        Assert.Contains(result.Errors, e => e.Contains(".text.helper"));
    }
}
