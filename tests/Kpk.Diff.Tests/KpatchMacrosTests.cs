using Kpk.Elf;
using Kpk.Tests;
using Xunit;

namespace Kpk.Diff.Tests;

/// <summary>
/// Patches written for kpatch-build use kpatch-macros.h. These compile the header kpk ships
/// (src/Kpk.Build/include) with gcc, over a few stand-in kernel headers, and check the differ does
/// what kpatch's patch author guide says each macro does.
/// </summary>
public class KpatchMacrosTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.TempDir("kpk-kpatch-macros");
    public void Dispose() => _dir.Dispose();

    private string Include => Path.Combine(TestPaths.RepoRoot, "src", "Kpk.Build", "include");

    /// <summary>The declarations the header needs from the kernel: just enough to compile, nothing that changes code.</summary>
    private string KernelStubs()
    {
        string dir = Path.Combine(_dir.Path, "stub");
        Directory.CreateDirectory(Path.Combine(dir, "linux"));
        File.WriteAllText(Path.Combine(dir, "linux", "livepatch.h"), "struct klp_object;\n");
        File.WriteAllText(Path.Combine(dir, "linux", "jiffies.h"), "extern unsigned long volatile jiffies;\n");
        File.WriteAllText(Path.Combine(dir, "linux", "printk.h"), "int printk(const char *fmt, ...);\nint printk_deferred(const char *fmt, ...);\n");
        return dir;
    }

    private DiffResult Diff(string orig, string patched, out ElfObject? output)
    {
        string flags = $"-I {KernelStubs()} -I {Include}";
        const string prelude = "#include \"kpatch-macros.h\"\n";
        string o = Tools.Compile(_dir.Path, "unit", prelude + orig, "orig", flags);
        string p = Tools.Compile(_dir.Path, "unit", prelude + patched, "patched", flags);
        using var origObj = ElfObject.Read(o);
        var patchedObj = ElfObject.Read(p);
        var result = ObjectDiffer.Diff(origObj, patchedObj, new DiffOptions { Parent = ParentSymbolTable.Load(o) });
        output = result.Output;
        if (output != null)
        {
            string written = Path.Combine(_dir.Path, "unit.patch.o");
            ElfWriter.Write(output, written, new ElfWriteOptions { CompactStringTables = true });
            Tools.AssertToolsAccept(written);
        }
        return result;
    }

    private const string Functions = """
        int sum(int x) { return printk("sum %d\n", x) + x; }
        int twice(int x) { return printk("twice %d\n", x) * 2; }
        """;

    [Fact]
    public void KPATCH_IGNORE_FUNCTION_leaves_a_changed_function_out()
    {
        string patched = Functions.Replace("+ x", "+ x + 1").Replace("* 2", "* 4") + "KPATCH_IGNORE_FUNCTION(sum);\n";
        var result = Diff(Functions, patched, out var output);
        Assert.Equal(DiffOutcome.Patched, result.Outcome);
        Assert.Equal(["twice"], result.Replaced);
        Assert.Null(output!.FindSection(".text.sum"));
        // The marker list and its pointer are scaffolding: nothing of them reaches the module.
        Assert.Null(output.FindSection(".kpk.ignore.functions"));
        Assert.DoesNotContain(output.Symbols, s => s.Name.StartsWith("__kpk_ignore_func_", StringComparison.Ordinal));
    }

    [Fact]
    public void KPATCH_IGNORE_FUNCTION_of_the_only_change_leaves_nothing_to_patch()
    {
        string patched = Functions.Replace("+ x", "+ x + 1") + "KPATCH_IGNORE_FUNCTION(sum);\n";
        var result = Diff(Functions, patched, out _);
        Assert.Equal(DiffOutcome.NoChange, result.Outcome);
    }

    [Fact]
    public void KPATCH_IGNORE_SECTION_makes_a_changed_section_not_count()
    {
        // A changed initialised global is changed data: refused unless its section is ignored.
        string orig = Functions + "int tunable = 1;\n";
        string changed = Functions.Replace("* 2", "* 4") + "int tunable = 2;\n";
        Assert.Equal(DiffOutcome.Unsupported, Diff(orig, changed, out _).Outcome);

        var result = Diff(orig, changed + "KPATCH_IGNORE_SECTION(\".data.tunable\");\n", out var output);
        Assert.Equal(DiffOutcome.Patched, result.Outcome);
        Assert.Equal(["twice"], result.Replaced);
        Assert.Null(output!.FindSection(".data.tunable"));
        Assert.Null(output.FindSection(".kpk.ignore.sections"));
    }

    [Fact]
    public void KPATCH_IGNORE_SECTION_of_a_missing_section_names_it()
    {
        var result = Diff(Functions, Functions.Replace("* 2", "* 4") + "KPATCH_IGNORE_SECTION(\".data.nowhere\");\n", out _);
        Assert.Equal(DiffOutcome.Unsupported, result.Outcome);
        Assert.Contains(result.Errors, e => e.Contains(".data.nowhere"));
    }

    [Theory]
    [InlineData("KPATCH_PRE_PATCH_CALLBACK", "pre_patch", "int", "return 0;")]
    [InlineData("KPATCH_POST_PATCH_CALLBACK", "post_patch", "void", "")]
    [InlineData("KPATCH_PRE_UNPATCH_CALLBACK", "pre_unpatch", "void", "")]
    [InlineData("KPATCH_POST_UNPATCH_CALLBACK", "post_unpatch", "void", "")]
    public void Callback_macros_take_a_patch_object_and_are_carried(string macro, string kind, string returns, string body)
    {
        string patched = Functions.Replace("* 2", "* 4") + $$"""
            static {{returns}} on_{{kind}}(patch_object *obj) { printk("{{kind}}\n"); {{body}} }
            {{macro}}(on_{{kind}});
            """;
        var result = Diff(Functions, patched, out var output);
        Assert.Equal(DiffOutcome.Patched, result.Outcome);
        Assert.Equal($"on_{kind}", result.Callbacks[kind]);
        Assert.NotNull(output!.FindSection($".text.on_{kind}"));
        Assert.NotNull(output.FindSection($".kpk.callbacks.{kind}"));
    }

    [Fact]
    public void KPATCH_FORCE_UNSAFE_is_reported_and_left_out()
    {
        var result = Diff(Functions, Functions.Replace("* 2", "* 4") + "KPATCH_FORCE_UNSAFE(twice);\n", out var output);
        Assert.Equal(DiffOutcome.Patched, result.Outcome);
        Assert.Equal(["twice"], result.Replaced);
        Assert.Contains(result.Warnings, w => w.Contains("KPATCH_FORCE_UNSAFE") && w.Contains("twice"));
        Assert.Null(output!.FindSection(".kpatch.force"));
        Assert.DoesNotContain(output.Symbols, s => s.Name.StartsWith("__kpatch_force_func_", StringComparison.Ordinal));
    }

    [Fact]
    public void KPATCH_PRINTK_compiles_to_a_call_of_printk()
    {
        string patched = Functions.Replace("* 2", "* 2 + KPATCH_PRINTK(\"x\")");
        var result = Diff(Functions, patched.Replace("KPATCH_PRINTK(\"x\")", "0") + "int logged(void) { KPATCH_PRINTK(\"logged\\n\"); return 1; }\n", out _);
        Assert.Equal(DiffOutcome.Patched, result.Outcome);
        Assert.Contains("logged", result.New);
    }
}
