using Kpk.Elf;
using Kpk.Tests;
using Xunit;

namespace Kpk.Diff.Tests;

/// <summary>
/// The differ on Linux 6.12's x86-64 code (Debian 13's kernel, and 6.12 for Debian 12): objects
/// compiled with the flags of a 6.12 IBT build (CONFIG_X86_KERNEL_IBT, CALL_PADDING, CALL_THUNKS,
/// RETHUNK, SLS), as arch/x86/Makefile passes them. On such kernels objtool runs only on vmlinux.o
/// and on linked modules, so the objects kpk compares have no __pfx_ symbols and no objtool
/// sections. The IBT rules are checked on what the differ emits: qemu's emulated CPU does not
/// enforce IBT, so a wrong patch would not crash there.
/// </summary>
public class Ibt612Tests : IDisposable
{
    private readonly TempDir _dir = TestPaths.TempDir("kpk-ibt");
    public void Dispose() => _dir.Dispose();

    /// <summary>The code-shape flags of a 6.12 cloud-amd64 build (from a .cmd file of linux-source-6.12 with Debian's config).</summary>
    private const string Flags612 =
        "-fcf-protection=branch -fno-jump-tables -mindirect-branch=thunk-extern -mindirect-branch-register -mindirect-branch-cs-prefix " +
        "-mfunction-return=thunk-extern -mharden-sls=all -fpatchable-function-entry=16,16 -falign-functions=16 -mskip-rax-setup " +
        "-fno-delete-null-pointer-checks -ftrivial-auto-var-init=zero";

    private const string Prelude = """
        extern int printk(const char *fmt, ...);
        #define noinline __attribute__((noinline))
        extern int (*volatile hook)(int);

        """;

    private sealed record Run(DiffResult Result, ElfObject Orig, ElfObject Patched) : IDisposable
    {
        public ElfObject Output => Result.Output ?? throw new Xunit.Sdk.XunitException("no output: " + string.Join("; ", Result.Errors));
        public void Dispose() { Orig.Dispose(); Patched.Dispose(); }
    }

    private Run Diff(string orig, string patched, Func<string, DiffOptions>? options = null, string flags = Flags612)
    {
        string o = Tools.Compile(_dir.Path, "unit", Prelude + orig, "orig", flags);
        string p = Tools.Compile(_dir.Path, "unit", Prelude + patched, "patched", flags);
        var opts = options?.Invoke(o) ?? new DiffOptions { Parent = ParentSymbolTable.Load(o) };
        var origObj = ElfObject.Read(o);
        var patchedObj = ElfObject.Read(p);
        var result = ObjectDiffer.Diff(origObj, patchedObj, opts);
        if (result.Output != null)
        {
            string written = _dir["unit.patch.o"];
            ElfWriter.Write(result.Output, written, new ElfWriteOptions { CompactStringTables = true });
            Tools.AssertToolsAccept(written);
        }
        return new Run(result, origObj, patchedObj);
    }

    /// <summary>
    /// A stand-in for vmlinux: the original object linked with the rest of "the kernel" (other.c)
    /// and, when <paramref name="sealed"/> names functions, the seal list objtool writes for
    /// vmlinux.o (<c>.long func - .</c> in .ibt_endbr_seal, kept by the kernel's linker script).
    /// </summary>
    private string Vmlinux(string origObject, string[]? @sealed)
    {
        string other = Tools.Compile(_dir.Path, "other", """
            extern int printk(const char *fmt, ...);
            int sealed_fn(int x) { return printk("sealed %d\n", x); }
            int kept_fn(int x) { return printk("kept %d\n", x); }
            int (*volatile hook)(int) = kept_fn;
            """, "kernel", Flags612);
        var inputs = new List<string> { origObject, other };
        if (@sealed != null)
        {
            string seal = _dir["seal.s"];
            File.WriteAllText(seal, ".section .ibt_endbr_seal,\"a\"\n" + string.Concat(@sealed.Select(f => $".long {f} - .\n")));
            var (ae, _, aerr) = Tools.Run("as", $"-o {seal}.o {seal}");
            Assert.True(ae == 0, aerr);
            inputs.Add(seal + ".o");
        }
        string vmlinux = _dir[@sealed == null ? "vmlinux-unsealed" : "vmlinux"];
        var (le, lo, lerr) = Tools.Run("ld", $"-o {vmlinux} -e 0 --unresolved-symbols=ignore-all {string.Join(' ', inputs)}");
        Assert.True(le == 0, lerr + lo);
        return vmlinux;
    }

    private static readonly byte[] Endbr64 = [0xf3, 0x0f, 0x1e, 0xfa];

    private static bool StartsWithEndbr(ElfObject o, string function)
    {
        var sym = o.FindSymbol(function)!;
        return sym.Section!.Data.Span.Slice((int)sym.Value, 4).SequenceEqual(Endbr64);
    }

    [Fact]
    public void A_changed_function_with_call_padding_and_endbr_is_replaced()
    {
        const string orig = "int twice(int x) { return printk(\"twice %d\\n\", x) * 2; }\nint thrice(int x) { return x * 3; }\n";
        using var run = Diff(orig, orig.Replace("* 2", "* 4"));
        Assert.Equal(DiffOutcome.Patched, run.Result.Outcome);
        Assert.Equal(["twice"], run.Result.Replaced);
        // The padding stays in front of the function: the module loader puts call thunks there.
        var twice = run.Output.FindSymbol("twice")!;
        Assert.Equal(16UL, twice.Value);
        Assert.True(twice.Section!.Data.Span[..16].IndexOfAnyExcept((byte)0x90) < 0, "16 bytes of NOP padding before twice");
        Assert.True(StartsWithEndbr(run.Output, "twice"));
        var alias = run.Output.FindSymbol(Assert.Single(run.Result.Functions).Alias)!;
        Assert.Equal((twice.Section, 16UL), (alias.Section, alias.Value));
        // ftrace's call comes after the ENDBR.
        var mcount = Assert.Single(run.Output.FindSection(".rela__mcount_loc")!.Relocations!);
        Assert.Equal(("twice", 4L), (mcount.Symbol!.Name, mcount.Addend));
        // __patchable_function_entries records padding of the whole object: not carried.
        Assert.Null(run.Output.FindSection("__patchable_function_entries"));
    }

    /// <summary>A single-object module on an IBT kernel has been through objtool already: its tables and __pfx_ symbols, as objtool writes them.</summary>
    private const string ObjtoolWasHere = """
        int twice(int x) { return printk("twice %d\n", x) * 2; }
        int thrice(int x) { return printk("thrice %d\n", x) * 3; }
        asm(".set __pfx_twice, twice - 16\n.type __pfx_twice, @function\n"
            ".pushsection .call_sites, \"a\"\n.long twice + 9 - .\n.long thrice + 9 - .\n.popsection\n"
            ".pushsection .return_sites, \"a\"\n.long twice + 20 - .\n.popsection\n");
        """;

    [Fact]
    public void On_ibt_kernels_objtool_tables_are_left_to_objtool_at_module_link()
    {
        using var run = Diff(ObjtoolWasHere, ObjtoolWasHere.Replace("* 2", "* 4"));
        Assert.Equal(["twice"], run.Result.Replaced);
        Assert.NotNull(run.Patched.FindSection(".call_sites"));
        foreach (var name in new[] { ".call_sites", ".return_sites", ".rela.call_sites", ".rela.return_sites" })
            Assert.Null(run.Output.FindSection(name));
        Assert.Null(run.Output.FindSymbol("__pfx_twice"));
    }

    [Fact]
    public void Without_ibt_objtool_tables_keep_the_entries_of_the_patch_code()
    {
        using var run = Diff(ObjtoolWasHere, ObjtoolWasHere.Replace("* 2", "* 4"), flags: "-fcf-protection=none -fpatchable-function-entry=16,16");
        Assert.Equal(["twice"], run.Result.Replaced);
        var sites = run.Output.FindSection(".call_sites")!;
        Assert.Equal(4, sites.Data.Length);
        var entry = Assert.Single(run.Output.RelocationSectionsFor(sites).Single().Relocations!);
        Assert.Equal("twice", entry.Symbol!.Name);
    }

    [Fact]
    public void A_function_at_offset_16_without_padding_is_still_an_error()
    {
        string dir = Path.Combine(_dir.Path, "asm");
        Directory.CreateDirectory(dir);
        string s = Path.Combine(dir, "odd.s");
        File.WriteAllText(s, ".section .text.odd,\"ax\"\n.byte 0xcc,0xcc,0xcc,0xcc,0xcc,0xcc,0xcc,0xcc,0xcc,0xcc,0xcc,0xcc,0xcc,0xcc,0xcc,0xcc\n.type odd,@function\nodd: ret\n.size odd,1\n");
        var (e, _, err) = Tools.Run("as", $"-o {s}.o {s}");
        Assert.True(e == 0, err);
        var ex = Assert.Throws<Kpk.Core.KpkException>(() => ObjectDiffer.Diff(s + ".o", s + ".o", new DiffOptions { Parent = ParentSymbolTable.Load(s + ".o") }));
        Assert.Contains("odd", ex.Message);
        Assert.Contains("offset 16", ex.Message);
    }

    [Fact]
    public void A_new_function_reached_through_a_pointer_keeps_its_endbr()
    {
        const string orig = "int twice(int x) { return printk(\"twice %d\\n\", x) * 2; }\n";
        const string patched = """
            static int helper(int x) { return printk("helper %d\n", x) + 1; }
            int twice(int x) { hook = helper; return printk("twice %d\n", x) * 2; }
            """;
        using var run = Diff(orig, patched);
        Assert.Equal(DiffOutcome.Patched, run.Result.Outcome);
        Assert.Equal(["helper"], run.Result.New);
        Assert.True(StartsWithEndbr(run.Output, "helper"));
        // The pointer is the patch's own helper, not a binding to the running kernel.
        Assert.Empty(run.Result.Bindings);
    }

    [Fact]
    public void Taking_the_address_of_an_existing_static_function_without_endbr_is_refused()
    {
        const string orig = """
            static noinline int helper(int x) { return printk("helper %d\n", x) + 1; }
            int twice(int x) { return helper(x) * 2; }
            """;
        string patched = orig.Replace("return helper(x) * 2;", "hook = helper; return helper(x) * 2;");
        using var run = Diff(orig, patched);
        Assert.Equal(DiffOutcome.Unsupported, run.Result.Outcome);
        var error = Assert.Single(run.Result.Errors);
        Assert.Contains("twice takes the address of helper", error);
        Assert.Contains("no ENDBR64", error);
    }

    [Fact]
    public void Without_ibt_the_same_change_is_a_patch()
    {
        const string orig = """
            static noinline int helper(int x) { return printk("helper %d\n", x) + 1; }
            int twice(int x) { return helper(x) * 2; }
            """;
        string patched = orig.Replace("return helper(x) * 2;", "hook = helper; return helper(x) * 2;");
        using var run = Diff(orig, patched, flags: "-fcf-protection=none -fpatchable-function-entry=16,16");
        Assert.Equal(DiffOutcome.Patched, run.Result.Outcome);
    }

    private const string CallsKernel = """
        extern int sealed_fn(int);
        extern int kept_fn(int);
        int twice(int x) { return sealed_fn(x) + kept_fn(x); }
        """;

    [Fact]
    public void Taking_the_address_of_a_sealed_kernel_function_is_refused_naming_it()
    {
        using var run = Diff(CallsKernel, CallsKernel.Replace("return sealed_fn", "hook = sealed_fn; return sealed_fn"),
            o => new DiffOptions { Parent = ParentSymbolTable.Load(Vmlinux(o, ["sealed_fn"])) });
        Assert.Equal(DiffOutcome.Unsupported, run.Result.Outcome);
        var error = Assert.Single(run.Result.Errors);
        Assert.Contains("twice takes the address of sealed_fn", error);
        Assert.Contains("seal list", error);
    }

    [Fact]
    public void Taking_the_address_of_a_kernel_function_that_kept_its_endbr_is_allowed()
    {
        using var run = Diff(CallsKernel, CallsKernel.Replace("return sealed_fn", "hook = kept_fn; return sealed_fn"),
            o => new DiffOptions { Parent = ParentSymbolTable.Load(Vmlinux(o, ["sealed_fn"])) });
        Assert.Equal(DiffOutcome.Patched, run.Result.Outcome);
        // Bound to the running kernel's kept_fn by the livepatch core (it is not exported).
        Assert.Contains(run.Result.Bindings, b => b.Name == "kept_fn");
    }

    [Fact]
    public void Without_a_seal_list_an_address_is_only_taken_when_the_original_took_it_too()
    {
        string takes = CallsKernel.Replace("return sealed_fn", "hook = kept_fn; return sealed_fn");
        using (var refused = Diff(CallsKernel, takes, o => new DiffOptions { Parent = ParentSymbolTable.Load(Vmlinux(o, null)) }))
        {
            Assert.Equal(DiffOutcome.Unsupported, refused.Result.Outcome);
            var error = Assert.Single(refused.Result.Errors);
            Assert.Contains("kept_fn", error);
            Assert.Contains("no .ibt_endbr_seal", error);
        }
        // The original already stores the pointer elsewhere: objtool saw that and kept the ENDBR.
        string orig = CallsKernel + "void keep(void) { hook = kept_fn; }\n";
        using var allowed = Diff(orig, orig.Replace("return sealed_fn", "hook = kept_fn; return sealed_fn"),
            o => new DiffOptions { Parent = ParentSymbolTable.Load(Vmlinux(o, null)) });
        Assert.Equal(DiffOutcome.Patched, allowed.Result.Outcome);
    }

    [Fact]
    public void Exported_functions_are_never_sealed()
    {
        using var run = Diff(CallsKernel, CallsKernel.Replace("return sealed_fn", "hook = kept_fn; return sealed_fn"),
            o => new DiffOptions
            {
                Parent = ParentSymbolTable.Load(Vmlinux(o, null)),
                Exports = ModuleSymvers.Parse(["0x1\tkept_fn\tvmlinux\tEXPORT_SYMBOL\t"], "test"),
            });
        Assert.Equal(DiffOutcome.Patched, run.Result.Outcome);
        Assert.DoesNotContain(run.Result.Bindings, b => b.Name == "kept_fn");
    }

    [Fact]
    public void Direct_calls_to_a_sealed_function_are_fine()
    {
        using var run = Diff(CallsKernel, CallsKernel.Replace("+ kept_fn(x)", "+ 2 * sealed_fn(x + 1)"),
            o => new DiffOptions { Parent = ParentSymbolTable.Load(Vmlinux(o, ["sealed_fn", "kept_fn"])) });
        Assert.Equal(DiffOutcome.Patched, run.Result.Outcome);
        Assert.Equal(["twice"], run.Result.Replaced);
    }

    [Fact]
    public void The_seal_list_is_read_from_vmlinux_and_from_a_relocatable_module()
    {
        string o = Tools.Compile(_dir.Path, "unit", Prelude + CallsKernel, "orig", Flags612);
        var vmlinux = ParentSymbolTable.Load(Vmlinux(o, ["sealed_fn"]));
        Assert.True(vmlinux.HasSealList);
        Assert.True(vmlinux.IsSealed("sealed_fn", local: false, block: null));
        Assert.False(vmlinux.IsSealed("kept_fn", local: false, block: null));
        Assert.Null(ParentSymbolTable.Load(Vmlinux(o, null)).IsSealed("sealed_fn", local: false, block: null));

        // A module keeps the list as relocations (objtool --module on the linked module object).
        string c = _dir["mod.c"];
        File.WriteAllText(c, "static int local_fn(int x) { return x + 1; }\nint (*p)(int) = local_fn;\nint other_fn(int x) { return x; }\n");
        string asm = _dir["mod.s"];
        var (ge, _, gerr) = Tools.Run("gcc", $"{Tools.KernelFlags} {Flags612} -S -o {asm} {c}");
        Assert.True(ge == 0, gerr);
        // As objtool would: local_fn's ENDBR listed through a relocation against the module's own code.
        File.AppendAllText(asm, ".section .ibt_endbr_seal,\"a\"\n.long local_fn - .\n");
        string ko = _dir["mod.ko"];
        var (ae, _, aerr) = Tools.Run("as", $"-o {ko} {asm}");
        Assert.True(ae == 0, aerr);
        var module = ParentSymbolTable.Load(ko);
        Assert.True(module.HasSealList);
        Assert.True(module.IsSealed("local_fn", local: true, block: null));
        Assert.False(module.IsSealed("other_fn", local: false, block: null));
    }
}
