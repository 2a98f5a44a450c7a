using Kpk.Elf;
using Kpk.Tests;
using Xunit;

namespace Kpk.Diff.Tests;

/// <summary>
/// One test per behaviour of the differ, on small C files compiled here with the kernel's
/// live-patching flags (-ffunction-sections -fdata-sections -pg -mfentry).
/// </summary>
public class BehaviourTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.TempDir("kpk-diff");
    public void Dispose() => _dir.Dispose();

    private const string Prelude = """
        extern int printk(const char *fmt, ...);
        extern void warn_slowpath_fmt(const char *file, int line, unsigned flags, const char *fmt, ...);
        #define WARN_ON(c) do { if (c) warn_slowpath_fmt("x.c", __LINE__, 9, "warn"); } while (0)
        #define __init __attribute__((section(".init.text"), cold))
        #define notrace __attribute__((no_instrument_function))
        #define noinline __attribute__((noinline))

        """;

    private sealed record Run(DiffResult Result, ElfObject Patched, ElfObject Orig, string OrigPath) : IDisposable
    {
        public ElfObject Output => Result.Output ?? throw new Xunit.Sdk.XunitException("no output: " + string.Join("; ", Result.Errors));
        public void Dispose() { Orig.Dispose(); Patched.Dispose(); }
    }

    private Run Diff(string orig, string patched, string name = "unit", Func<string, DiffOptions>? options = null, string flags = "")
    {
        string o = Tools.Compile(_dir.Path, name, Prelude + orig, "orig", flags);
        string p = Tools.Compile(_dir.Path, name, Prelude + patched, "patched", flags);
        var opts = options?.Invoke(o) ?? new DiffOptions { Parent = ParentSymbolTable.Load(o) };
        var origObj = ElfObject.Read(o);
        var patchedObj = ElfObject.Read(p);
        var result = ObjectDiffer.Diff(origObj, patchedObj, opts);
        if (result.Output != null)
        {
            string written = Path.Combine(_dir.Path, name + ".patch.o");
            ElfWriter.Write(result.Output, written, new ElfWriteOptions { CompactStringTables = true });
            Tools.AssertToolsAccept(written);
        }
        return new Run(result, patchedObj, origObj, o);
    }

    private const string TwoFunctions = """
        int twice(int x) { return printk("twice %d\n", x) * 2; }
        int thrice(int x) { return printk("thrice %d\n", x) * 3; }
        """;

    [Fact]
    public void Identical_objects_are_no_change()
    {
        using var run = Diff(TwoFunctions, TwoFunctions);
        Assert.Equal(DiffOutcome.NoChange, run.Result.Outcome);
        Assert.Null(run.Result.Output);
    }

    [Fact]
    public void A_changed_function_is_replaced_and_unchanged_ones_are_left_out()
    {
        using var run = Diff(TwoFunctions, TwoFunctions.Replace("* 2", "* 4"));
        Assert.Equal(DiffOutcome.Patched, run.Result.Outcome);
        Assert.Equal(["twice"], run.Result.Replaced);
        Assert.Empty(run.Result.New);
        Assert.NotNull(run.Output.FindSection(".text.twice"));
        Assert.Null(run.Output.FindSection(".text.thrice"));
        var fn = Assert.Single(run.Result.Functions);
        Assert.Equal(("twice", "vmlinux", 0UL), (fn.Name, fn.ParentObject, fn.Sympos));
        Assert.Equal(SymbolBinding.Local, run.Output.FindSymbol("twice")!.Binding);
        var alias = run.Output.FindSymbol(fn.Alias)!;
        Assert.Equal(run.Output.FindSection(".text.twice"), alias.Section);
        // ftrace learns about the new function through a fresh __mcount_loc.
        var mcount = run.Output.FindSection(".rela__mcount_loc")!;
        Assert.Equal("twice", Assert.Single(mcount.Relocations!).Symbol!.Name);
    }

    [Fact]
    public void A_changed_string_literal_is_a_change()
    {
        using var run = Diff(TwoFunctions, TwoFunctions.Replace("thrice %d", "three times %d"));
        Assert.Equal(["thrice"], run.Result.Replaced);
    }

    [Fact]
    public void A_new_function_called_by_a_changed_one_is_carried()
    {
        string patched = """
            static noinline int helper(int x) { return printk("helper %d\n", x) + 7; }
            int twice(int x) { return helper(x) * 2; }
            int thrice(int x) { return printk("thrice %d\n", x) * 3; }
            """;
        using var run = Diff(TwoFunctions, patched);
        Assert.Equal(["twice"], run.Result.Replaced);
        Assert.Equal(["helper"], run.Result.New);
        Assert.NotNull(run.Output.FindSection(".text.helper"));
    }

    [Fact]
    public void Moving_only_a_warn_line_number_is_no_change()
    {
        string orig = "void check(int x) {\n  WARN_ON(x > 3);\n  printk(\"checked\\n\");\n}\n";
        string patched = "\n\n\n" + orig;
        using var run = Diff(orig, patched);
        Assert.Equal(DiffOutcome.NoChange, run.Result.Outcome);
    }

    [Fact]
    public void A_static_local_is_bound_to_the_running_kernels_copy()
    {
        string orig = "int count_calls(void) { static int calls; return ++calls; }\n";
        string patched = "int count_calls(void) { static int calls; calls += 2; return calls; }\n";
        using var run = Diff(orig, patched);
        Assert.Equal(DiffOutcome.Patched, run.Result.Outcome);
        var binding = Assert.Single(run.Result.Bindings);
        Assert.StartsWith("calls.", binding.Name);
        Assert.Equal(".klp.sym.vmlinux." + binding.Name + ",0", binding.KlpSymbolName);
        // The variable's storage is not duplicated into the patch.
        Assert.DoesNotContain(run.Output.Sections, s => s.Name.StartsWith(".bss.calls", StringComparison.Ordinal));
    }

    [Fact]
    public void Debug_info_is_carried_for_what_the_patch_holds_and_refers_to_nothing_else()
    {
        string orig = "int count_calls(void) { static int calls; return ++calls; }\n" + TwoFunctions;
        string patched = "int count_calls(void) { static int calls; calls += 2; return calls; }\n" + TwoFunctions;
        using var run = Diff(orig, patched, flags: "-g");
        Assert.Equal(["count_calls"], run.Result.Replaced);
        // Debug info adds no code, data or bindings: still only the static local is bound.
        Assert.Equal("calls.", Assert.Single(run.Result.Bindings).Name[..6]);
        Assert.Null(run.Output.FindSection(".text.twice"));
        foreach (var name in new[] { ".debug_info", ".debug_abbrev", ".debug_line" })
            Assert.NotNull(run.Output.FindSection(name));
        var debugRelocs = run.Output.Sections.Where(s => s.Type == SectionType.Rela && s.Name.StartsWith(".rela.debug_", StringComparison.Ordinal))
            .SelectMany(s => s.Relocations!).ToList();
        Assert.NotEmpty(debugRelocs);
        // Every one lands in something the patch defines (never an undefined or .klp.sym symbol).
        Assert.All(debugRelocs, r => Assert.NotNull(r.Symbol!.Section));
        Assert.Contains(debugRelocs, r => r.Symbol!.Section!.Name == ".text.count_calls");
        Assert.DoesNotContain(debugRelocs, r => r.Symbol!.Section!.Name is ".text.twice" or ".text.thrice");

        // gdb's view: readelf decodes it, and it names the replaced function's source line.
        string written = Path.Combine(_dir.Path, "unit.patch.o");
        var (exit, lines, err) = Tools.Run("readelf", $"--debug-dump=decodedline {written}");
        Assert.True(exit == 0 && err.Length == 0, err);
        Assert.Contains("unit.c", lines);
    }

    [Fact]
    public void Debug_info_is_left_out_when_asked()
    {
        string orig = "int count_calls(void) { static int calls; return ++calls; }\n";
        string patched = "int count_calls(void) { static int calls; calls += 2; return calls; }\n";
        using var run = Diff(orig, patched, options: o => new DiffOptions { Parent = ParentSymbolTable.Load(o), KeepDebugInfo = false }, flags: "-g");
        Assert.Equal(["count_calls"], run.Result.Replaced);
        Assert.DoesNotContain(run.Output.Sections, s => s.Name.Contains(".debug_", StringComparison.Ordinal));
    }

    [Fact]
    public void Removing_the_use_of_a_static_local_is_refused()
    {
        string orig = "int count_calls(void) { static int calls; return ++calls + printk(\"x\"); }\n";
        string patched = "int count_calls(void) { return printk(\"x\"); }\n";
        using var run = Diff(orig, patched);
        Assert.Equal(DiffOutcome.Unsupported, run.Result.Outcome);
        Assert.Contains(run.Result.Errors, e => e.Contains("calls.") && e.Contains("count_calls"));
    }

    [Fact]
    public void Changing_the_initial_value_of_a_global_is_refused_naming_it()
    {
        string orig = "int limit = 10;\nint get_limit(void) { return limit; }\n";
        string patched = "int limit = 20;\nint get_limit(void) { return limit; }\n";
        using var run = Diff(orig, patched);
        Assert.Equal(DiffOutcome.Unsupported, run.Result.Outcome);
        Assert.Contains(run.Result.Errors, e => e.Contains(".data.limit") && e.Contains("initial value"));
    }

    [Fact]
    public void Changing_init_code_is_refused()
    {
        string orig = "static __init int setup(void) { return printk(\"setup\\n\"); }\nint (*hook)(void) = setup;\n";
        string patched = "static __init int setup(void) { return printk(\"set up!\\n\"); }\nint (*hook)(void) = setup;\n";
        using var run = Diff(orig, patched);
        Assert.Equal(DiffOutcome.Unsupported, run.Result.Outcome);
        Assert.Contains(run.Result.Errors, e => e.Contains(".init.text") && e.Contains("__init"));
    }

    [Fact]
    public void A_changed_function_without_ftrace_entry_is_refused()
    {
        string orig = "notrace int quiet(int x) { return printk(\"q %d\", x); }\n";
        string patched = "notrace int quiet(int x) { return printk(\"q %d\", x + 1); }\n";
        using var run = Diff(orig, patched);
        Assert.Equal(DiffOutcome.Unsupported, run.Result.Outcome);
        Assert.Contains(run.Result.Errors, e => e.Contains("quiet") && e.Contains("fentry"));
    }

    [Fact]
    public void A_new_global_variable_is_carried_as_new()
    {
        string orig = "int twice(int x) { return printk(\"%d\", x) * 2; }\n";
        string patched = "int twice_calls;\nint twice(int x) { twice_calls++; return printk(\"%d\", x) * 2; }\n";
        using var run = Diff(orig, patched);
        Assert.Equal(["twice"], run.Result.Replaced);
        var variable = run.Output.FindSymbol("twice_calls")!;
        Assert.NotNull(variable.Section);
        Assert.Equal(SymbolBinding.Global, variable.Binding);
    }

    [Fact]
    public void Unexported_globals_and_statics_of_the_parent_are_bound_exported_ones_are_not()
    {
        string source = """
            extern int exported_counter, private_counter;
            static noinline int helper(int x) { return printk("h%d", x); }
            int user(int x) { return helper(x) + exported_counter + private_counter; }
            int other(int x) { return helper(x + 1); }
            """;
        string parentSource = "int exported_counter, private_counter;\n";
        string parent = Tools.Compile(_dir.Path, "parent_data", parentSource, "parent");
        string linked = Path.Combine(_dir.Path, "vmlinux.o");
        using var run = Diff(source, source.Replace("private_counter;\n}", "private_counter * 2;\n}").Replace("+ private_counter; }", "+ private_counter * 2; }"), "unit",
            o =>
            {
                var (exit, _, err) = Tools.Run("ld", $"-r -o {linked} {o} {parent}");
                Assert.True(exit == 0, err);
                return new DiffOptions
                {
                    Parent = ParentSymbolTable.Load(linked),
                    Exports = ModuleSymvers.Parse(["0x12345678\texported_counter\tvmlinux\tEXPORT_SYMBOL\t"], "test"),
                };
            });
        Assert.Equal(["user"], run.Result.Replaced);
        var bound = run.Result.Bindings.Select(b => b.Name).Order().ToArray();
        Assert.Equal(["helper", "private_counter"], bound);
        // The exported global stays an ordinary undefined symbol for the module loader.
        var exported = run.Output.FindSymbol("exported_counter")!;
        Assert.True(exported.IsUndefined);
        Assert.NotNull(run.Output.FindSymbol(".klp.sym.vmlinux.private_counter,0"));
    }

    [Fact]
    public void Same_named_statics_of_two_files_get_their_positions()
    {
        string a = "static noinline int helper(int x) { return printk(\"a%d\", x); }\nint a_user(int x) { return helper(x); }\n";
        string b = "static noinline int helper(int x) { return printk(\"b%d\", x); }\nint b_user(int x) { return helper(x); }\n";
        string aObj = Tools.Compile(_dir.Path, "first", Prelude + a, "parent");
        string linked = Path.Combine(_dir.Path, "vmlinux.o");
        using var run = Diff(b, b.Replace("return helper(x);", "return helper(x) + 1;"), "second", o =>
        {
            var (exit, _, err) = Tools.Run("ld", $"-r -o {linked} {aObj} {o}");
            Assert.True(exit == 0, err);
            return new DiffOptions { Parent = ParentSymbolTable.Load(linked) };
        });
        var binding = Assert.Single(run.Result.Bindings);
        Assert.Equal(("helper", 2UL), (binding.Name, binding.Sympos));
    }

    [Fact]
    public void A_specialised_function_is_matched_across_renumbering()
    {
        string orig = """
            static noinline int scale(int x, int factor) { return printk("s%d", x) * factor; }
            int by_three(int x) { return scale(x, 3); }
            int by_three_again(int x) { return scale(x + 1, 3); }
            """;
        using var run = Diff(orig, orig.Replace("* factor;", "* factor + 1;"));
        Assert.Equal(DiffOutcome.Patched, run.Result.Outcome);
        var replaced = Assert.Single(run.Result.Replaced);
        Assert.StartsWith("scale", replaced);
        Assert.Empty(run.Result.New);
    }

    [Fact]
    public void Bug_table_entries_are_kept_only_for_carried_functions()
    {
        const string bug = "asm volatile(\"1: ud2\\n.pushsection __bug_table,\\\"aw\\\"\\n.long 1b - .\\n.long 0\\n.word 0, 0\\n.popsection\");";
        string orig = $"int first(int x) {{ if (x > 5) {bug} return printk(\"f%d\", x); }}\nint second(int x) {{ if (x > 6) {bug} return printk(\"s%d\", x); }}\n";
        using var run = Diff(orig, orig.Replace("\"s%d\", x)", "\"s%d\", x + 1)"),
            "unit", o => new DiffOptions { Parent = ParentSymbolTable.Load(o), SpecialSizes = new SpecialSectionSizes().With("bug=12") });
        Assert.Equal(["second"], run.Result.Replaced);
        var table = run.Output.FindSection("__bug_table")!;
        Assert.Equal(12UL, table.Size);
        var rela = run.Output.FindSection(".rela__bug_table")!;
        Assert.All(rela.Relocations!, r => Assert.Equal("second", r.Symbol!.Name));
    }

    [Fact]
    public void A_jump_label_on_a_module_key_is_refused()
    {
        string jump = "asm goto(\"1: .byte 0x0f,0x1f,0x44,0x00,0x00\\n.pushsection __jump_table,\\\"aw\\\"\\n.balign 8\\n.long 1b - .\\n.long %l[yes] - .\\n.quad module_key - .\\n.popsection\" : : : : yes);";
        string orig = $"extern int module_key;\nint probe(int x) {{ {jump} return printk(\"no\"); yes: return printk(\"yes%d\", x); }}\n";
        using var run = Diff(orig, orig.Replace("\"yes%d\", x)", "\"yes%d\", x + 1)"), "unit", o => new DiffOptions
        {
            Parent = ParentSymbolTable.Load(o),
            ParentName = "mymod",
            Exports = ModuleSymvers.Parse(["0x1\tmodule_key\tdrivers/misc/mymod\tEXPORT_SYMBOL\t"], "test"),
            SpecialSizes = new SpecialSectionSizes().With("jump=16"),
        });
        Assert.Equal(DiffOutcome.Unsupported, run.Result.Outcome);
        Assert.Contains(run.Result.Errors, e => e.Contains("module_key") && e.Contains("mymod"));
    }

    [Fact]
    public void Callbacks_are_carried_and_reported()
    {
        string orig = "int twice(int x) { return printk(\"%d\", x) * 2; }\n";
        string patched = orig.Replace("* 2", "* 4") + """
            static int announce(void *obj) { return printk("patching\n"); }
            static void *__kpk_cb_pre_patch __attribute__((used, section(".kpk.callbacks.pre_patch"))) = announce;
            """;
        using var run = Diff(orig, patched);
        Assert.Equal(DiffOutcome.Patched, run.Result.Outcome);
        Assert.Equal("announce", run.Result.Callbacks["pre_patch"]);
        Assert.NotNull(run.Output.FindSection(".text.announce"));
        Assert.NotNull(run.Output.FindSection(".kpk.callbacks.pre_patch"));
        // The macro's pointer variable is scaffolding, not a symbol of the patch.
        Assert.Null(run.Output.FindSymbol("__kpk_cb_pre_patch"));
    }

    [Fact]
    public void Special_statics_are_never_matched_and_always_new()
    {
        // Like lockdep's `static struct lock_class_key __key` in a macro: one per use site.
        const string init = "do { static int __key; printk(\"%p\", &__key); } while (0)";
        string orig = $"int setup(int x) {{ {init}; return x; }}\n";
        string patched = $"int setup(int x) {{ {init}; {init}; return x + 1; }}\n";
        using var run = Diff(orig, patched);
        Assert.Equal(DiffOutcome.Patched, run.Result.Outcome);
        Assert.Empty(run.Result.Bindings);
        var keys = run.Output.Symbols.Where(s => s.Name.StartsWith("__key.", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, keys.Count);
        Assert.All(keys, k => Assert.NotNull(k.Section));
    }

    [Fact]
    public void A_change_inside_a_section_group_is_refused()
    {
        static string Grouped(int value) => $"asm(\".section .text.grouped,\\\"axG\\\",@progbits,grouped_sig,comdat\\n.globl grouped_fn\\n.type grouped_fn,@function\\ngrouped_fn: mov ${value}, %eax\\n ret\\n.previous\");\n";
        string body = "int plain(int x) { return printk(\"%d\", x); }\n";
        using var run = Diff(Grouped(1) + body, Grouped(2) + body);
        Assert.Equal(DiffOutcome.Unsupported, run.Result.Outcome);
        Assert.Contains(run.Result.Errors, e => e.Contains("group"));
    }

    [Fact]
    public void A_pointer_to_a_replaced_function_keeps_meaning_the_original()
    {
        string orig = """
            int handler(int x) { return printk("h%d", x); }
            int (*install(void))(int) { return handler; }
            """;
        using var run = Diff(orig, orig.Replace("\"h%d\"", "\"handler %d\"").Replace("return handler;", "printk(\"installing\"); return handler;"));
        Assert.Contains("handler", run.Result.Replaced);
        Assert.Contains(run.Result.Bindings, b => b.Name == "handler");
    }
}
