using Kpk.Build;
using Kpk.Core;
using Kpk.Diff;
using Kpk.Elf;
using Kpk.Tests;
using Xunit;

namespace Kpk.Build.Tests;

public class ModuleNamesTests
{
    [Theory]
    [InlineData("/x/0001-proc-fix-cmdline-leak.patch", "0001_proc_fix_cmdline_leak")]
    [InlineData("CVE-2024-1234.diff", "CVE_2024_1234")]
    [InlineData("fix..__weird  name!.patch", "fix_weird_name")]
    [InlineData("---.patch", "kpk_patch")]
    [InlineData("noext", "noext")]
    public void A_patch_file_name_becomes_a_valid_module_name(string file, string expected) =>
        Assert.Equal(expected, ModuleNames.FromPatchFile(file));

    [Fact]
    public void Long_names_are_cut_to_55_characters()
    {
        string name = ModuleNames.FromPatchFile(new string('a', 80) + ".patch");
        Assert.Equal(55, name.Length);
        // Cut, then no '_' left dangling at the end.
        Assert.Equal(new string('b', 54), ModuleNames.FromPatchFile(new string('b', 54) + "-c.patch"));
    }

    [Theory]
    [InlineData("bad.name", "'.'")]
    [InlineData("", "empty")]
    [InlineData("a b", "' '")]
    [InlineData("-lead", "start with '-'")]
    public void Invalid_names_given_with_n_are_refused(string name, string why) =>
        Assert.Contains(why, Assert.Throws<KpkException>(() => ModuleNames.Validate(name)).Message);

    [Fact]
    public void Dashes_are_allowed_as_kbuild_allows_them_in_module_files() =>
        Assert.Equal("livepatch-fix-cmdline", ModuleNames.Validate("livepatch-fix-cmdline")); // kpatch-build's naming

    [Fact]
    public void Names_of_56_characters_are_refused() =>
        Assert.Contains("at most 55", Assert.Throws<KpkException>(() => ModuleNames.Validate(new string('x', 56))).Message);

    [Fact]
    public void Random_ids_are_8_safe_characters_and_differ()
    {
        var ids = Enumerable.Range(0, 20).Select(_ => ModuleNames.RandomId()).ToList();
        Assert.All(ids, id => Assert.Matches("^[a-z0-9]{8}$", id));
        Assert.True(ids.Distinct().Count() > 15);
        Assert.Throws<KpkException>(() => ModuleNames.ValidateId("../x"));
        Assert.Equal("v1.2-rc_3", ModuleNames.ValidateId("v1.2-rc_3"));
    }
}

public class UnifiedDiffTests
{
    [Fact]
    public void Touched_files_come_from_the_headers_with_the_strip_level_applied()
    {
        using var dir = TestPaths.TempDir();
        string patch = dir["x.patch"];
        File.WriteAllText(patch, """
            diff --git a/fs/proc/cmdline.c b/fs/proc/cmdline.c
            --- a/fs/proc/cmdline.c	2024-01-01 00:00:00
            +++ b/fs/proc/cmdline.c	2024-01-01 00:00:00
            @@ -1 +1 @@
            -a
            +b
            --- /dev/null
            +++ b/include/linux/new.h
            @@ -0,0 +1 @@
            +x
            diff --git a/old.c b/new.c
            similarity index 90%
            rename from old.c
            rename to new.c
            """);
        Assert.Equal(["fs/proc/cmdline.c", "include/linux/new.h", "new.c", "old.c"], UnifiedDiff.TouchedFiles(patch, 1));
        Assert.Equal(new[] { "b/fs/proc/cmdline.c", "a/fs/proc/cmdline.c", "b/include/linux/new.h", "new.c", "old.c" }.Order(StringComparer.Ordinal),
            UnifiedDiff.TouchedFiles(patch, 0));
    }

    [Fact]
    public void A_patch_reaching_outside_the_tree_is_refused()
    {
        using var dir = TestPaths.TempDir();
        string patch = dir["evil.patch"];
        File.WriteAllText(patch, "--- a/../../etc/passwd\n+++ b/../../etc/passwd\n");
        var e = Assert.Throws<KpkException>(() => UnifiedDiff.TouchedFiles(patch, 1));
        Assert.Contains("evil.patch:1", e.Message);
        Assert.Contains("outside the source tree", e.Message);
    }

    [Theory]
    [InlineData(new[] { "-p1" }, 1)]
    [InlineData(new[] { "-p", "2" }, 2)]
    [InlineData(new[] { "--strip=0", "-F3" }, 0)]
    [InlineData(new[] { "-F3" }, 0)]
    public void The_strip_level_is_read_from_the_patch_options(string[] options, int level) =>
        Assert.Equal(level, UnifiedDiff.StripLevel(options));
}

public class CreateRequestBuilderTests
{
    private static CreateArguments Args() => new() { KernelSource = "/src", Patches = ["/p/fix-it.patch"], Vmlinux = "/v" };
    private static readonly Dictionary<string, string?> NoEnv = new() { ["KPK_CACHE"] = "/c" };

    [Fact]
    public void Exactly_one_kind_of_change()
    {
        Assert.Contains("say what to change", Assert.Throws<KpkException>(() => CreateRequestBuilder.Build(Args() with { Patches = [] }, NoEnv)).Message);
        var e = Assert.Throws<KpkException>(() => CreateRequestBuilder.Build(Args() with { GitCommit = "HEAD" }, NoEnv));
        Assert.Contains("--patch and --git", e.Message);
        Assert.Equal(ChangeKind.Prebuild, CreateRequestBuilder.Build(Args() with { Patches = [], Prebuild = true }, NoEnv).Request.Change);
    }

    [Fact]
    public void Defaults_name_id_replace_cache()
    {
        var r = CreateRequestBuilder.Build(Args(), NoEnv).Request;
        Assert.Equal("fix_it", r.Name);
        Assert.Matches("^[a-z0-9]{8}$", r.Id);
        Assert.True(r.Replace);
        Assert.Equal("/c", r.CacheRoot);
        Assert.Equal("-p1", r.PatchOptions);
        Assert.Null(r.Cc);
    }

    [Fact]
    public void Environment_gives_compiler_cross_prefix_llvm_and_jobs()
    {
        var env = new Dictionary<string, string?> { ["CC"] = "ccache gcc", ["CROSS_COMPILE"] = "x86_64-linux-gnu-", ["LLVM"] = "1", ["CONCURRENCY_LEVEL"] = "7" };
        var r = CreateRequestBuilder.Build(Args(), env).Request;
        Assert.Equal(("ccache gcc", "x86_64-linux-gnu-", true, 7), (r.Cc, r.CrossCompile, r.Llvm, r.Jobs));
        var given = CreateRequestBuilder.Build(Args() with { Cc = "distcc gcc", Jobs = 3 }, env).Request;
        Assert.Equal(("distcc gcc", 3), (given.Cc, given.Jobs));
        Assert.Contains("at least 1", Assert.Throws<KpkException>(() => CreateRequestBuilder.Build(Args() with { Jobs = 0 }, env)).Message);
    }

    [Fact]
    public void The_git_pre_ref_defaults_to_kpks_and_must_be_a_ref()
    {
        Assert.Equal("refs/kpk/pre", CreateRequestBuilder.Build(Args(), NoEnv).Request.GitPreRef);
        Assert.Equal("refs/ksplice/pre", CreateRequestBuilder.Build(Args() with { GitPreRef = "refs/ksplice/pre" }, NoEnv).Request.GitPreRef);
        Assert.Contains("under refs/", Assert.Throws<KpkException>(() => CreateRequestBuilder.Build(Args() with { GitPreRef = "HEAD" }, NoEnv)).Message);
    }

    [Fact]
    public void Series_implies_non_replace_and_says_so()
    {
        var r = CreateRequestBuilder.Build(Args() with { Series = true }, NoEnv);
        Assert.False(r.Request.Replace);
        Assert.Contains(r.Notes, n => n.Contains("--series"));
        Assert.False(CreateRequestBuilder.Build(Args() with { NonReplace = true }, NoEnv).Request.Replace);
    }

    [Fact]
    public void Config_is_a_file_or_a_directory_with_dot_config()
    {
        using var dir = TestPaths.TempDir();
        Assert.Contains("holds no .config", Assert.Throws<KpkException>(() => CreateRequestBuilder.Build(Args() with { Config = dir.Path }, NoEnv)).Message);
        File.WriteAllText(dir[".config"], "CONFIG_X=y\n");
        var r = CreateRequestBuilder.Build(Args() with { Config = dir.Path }, NoEnv).Request;
        Assert.Equal((dir[".config"], dir.Path), (r.Config, r.ConfigDirectory));
        var f = CreateRequestBuilder.Build(Args() with { Config = dir[".config"] }, NoEnv).Request;
        Assert.Equal((dir[".config"], (string?)null), (f.Config, f.ConfigDirectory));
        Assert.Contains("no such file", Assert.Throws<KpkException>(() => CreateRequestBuilder.Build(Args() with { Config = dir["nope"] }, NoEnv)).Message);
    }

    [Fact]
    public void Out_of_tree_options_go_together()
    {
        Assert.Contains("go together", Assert.Throws<KpkException>(() => CreateRequestBuilder.Build(Args() with { OotModule = "/m.ko" }, NoEnv)).Message);
        Assert.Contains(".ko", Assert.Throws<KpkException>(() => CreateRequestBuilder.Build(Args() with { OotModule = "/m.o", OotModuleSource = "/s" }, NoEnv)).Message);
        Assert.Contains("without a dot", Assert.Throws<KpkException>(() => CreateRequestBuilder.Build(Args() with { Patches = [], DiffExt = ".new" }, NoEnv)).Message);
    }
}

public class HookAndSizeTests
{
    [Fact]
    public void Size_markers_are_read_from_the_assembly()
    {
        var sizes = SpecialSizeProbe.Parse("\t.ascii \"->KPK bug $12\"\n#APP\n.ascii \"->KPK jump $16\"\n.ascii \"->KPK orc 6\"\n");
        Assert.Equal(new Dictionary<string, int> { ["bug"] = 12, ["jump"] = 16, ["orc"] = 6 }, sizes);
        var options = SpecialSizeProbe.ToOptions(sizes);
        Assert.Equal((12, 16, 6), (options.Of("bug"), options.Of("jump"), options.Of("orc")));
        Assert.Null(options.Of("alt")); // not measured: the architecture's default applies
    }

    [Fact]
    public void The_hook_has_one_klp_object_per_parent_with_sympos_and_callbacks()
    {
        var parents = new[]
        {
            new PatchedParent("vmlinux", [new ReplacedFunction("show", "vmlinux", 0, "kpk.new.vmlinux.show.0"), new ReplacedFunction("helper.isra.0", "vmlinux", 2, "kpk.new.vmlinux.helper.isra.0.2")],
                new Dictionary<string, string> { ["pre_patch"] = "kpk.cb.vmlinux.pre_patch" }),
            new PatchedParent("ext4", [new ReplacedFunction("ext4_x", "ext4", 0, "kpk.new.ext4.ext4_x.0")], new Dictionary<string, string>()),
        };
        string c = HookSource.Generate("p", parents, replace: false, description: "a \"quoted\" ??= thing\n");
        Assert.Contains("extern char kpk_fn_0_1[] __asm__(\"kpk.new.vmlinux.helper.isra.0.2\");", c);
        Assert.Contains("{ .old_name = \"helper.isra.0\", .new_func = kpk_fn_0_1, .old_sympos = 2, },", c);
        Assert.Contains("{ .name = NULL, .funcs = kpk_funcs_0, },", c);
        Assert.Contains("{ .name = \"ext4\", .funcs = kpk_funcs_1, },", c);
        Assert.Contains("kpk_objects[0].callbacks.pre_patch = (int (*)(struct klp_object *))kpk_cb_0_pre_patch;", c);
        Assert.Contains(".replace = false,", c);
        Assert.Contains("MODULE_DESCRIPTION(\"a \\\"quoted\\\" \\?\\?= thing\\n\");", c);
        Assert.Equal("# Generated by kpk create.\nobj-m := p.o\np-y := kpk-hook.o kpk-vmlinux.o kpk-ext4.o\n",
            HookSource.Makefile("p", ["kpk-vmlinux.o", "kpk-ext4.o"]).ReplaceLineEndings("\n"));
    }

    [Fact]
    public void The_header_callbacks_compile_and_land_in_their_sections()
    {
        using var dir = TestPaths.TempDir();
        Directory.CreateDirectory(dir["linux"]);
        File.WriteAllText(dir["linux/livepatch.h"], "struct klp_object;\n");
        File.WriteAllText(dir["cb.c"], """
            #include <kpk-patch.h>
            static int pre(struct klp_object *o) { return 0; }
            static void post(struct klp_object *o) { }
            KPK_PRE_PATCH_CALLBACK(pre);
            KPK_POST_PATCH_CALLBACK(post);
            KPK_PRE_UNPATCH_CALLBACK(post);
            KPK_POST_UNPATCH_CALLBACK(post);
            """);
        string include = Path.Combine(TestPaths.RepoRoot, "src", "Kpk.Build", "include");
        var r = Tool.Run("gcc", ["-Wall", "-Werror", "-ffunction-sections", "-I", include, "-I", dir.Path, "-c", dir["cb.c"], "-o", dir["cb.o"]], null, CancellationToken.None);
        Assert.True(r.Ok, r.Output);
        using var o = ElfObject.Read(dir["cb.o"]);
        foreach (var kind in HookSource.CallbackKinds)
        {
            var sec = o.FindSection(".kpk.callbacks." + kind)!;
            Assert.Equal(8ul, sec.Size);
            var rela = o.RelocationSectionsFor(sec).Single().Relocations!.Single();
            var target = rela.Symbol!.Type == SymbolType.Section ? rela.Symbol.Section!.Name : rela.Symbol.Name;
            Assert.Equal(kind == "pre_patch" ? ".text.pre" : ".text.post", target);
        }
        // A callback of the wrong type does not compile.
        File.WriteAllText(dir["bad.c"], "#include <kpk-patch.h>\nstatic void f(int x) { }\nKPK_PRE_PATCH_CALLBACK(f);\n");
        Assert.False(Tool.Run("gcc", ["-Werror", "-I", include, "-I", dir.Path, "-c", dir["bad.c"], "-o", dir["bad.o"]], null, CancellationToken.None).Ok);
    }
}

public class KlpConverterTests
{
    [Fact]
    public void Relocations_against_livepatch_symbols_move_to_klp_rela_sections()
    {
        using var dir = TestPaths.TempDir();
        // What the differ's output looks like after linking: references to symbols only the
        // livepatch core can resolve, by their .klp.sym names, next to an ordinary one.
        File.WriteAllText(dir["m.c"], """
            extern int local_counter;
            extern int mod_flag;
            extern int printk(const char *, ...);
            int patched(void) { printk("x"); return local_counter + mod_flag; }
            int *table[] = { &local_counter };
            """);
        var r = Tool.Run("gcc", ["-O2", "-ffunction-sections", "-fdata-sections", "-fno-PIE", "-mcmodel=kernel", "-c", dir["m.c"], "-o", dir["m.ko"]], null, CancellationToken.None);
        Assert.True(r.Ok, r.Output);
        // (gcc cannot spell a ',' in a symbol name: objcopy renames them.)
        FakeKernelTree.Run("objcopy", "--redefine-sym", "local_counter=.klp.sym.vmlinux.counter,2", "--redefine-sym", "mod_flag=.klp.sym.ext4.ext4_flag,0", dir["m.ko"]);

        var result = KlpConverter.ConvertFile(dir["m.ko"]);

        Assert.Equal(2, result.Symbols);
        Assert.Equal(3, result.Relocations);
        Assert.Equal([".klp.rela.ext4..text.patched", ".klp.rela.vmlinux..data.table", ".klp.rela.vmlinux..text.patched"], result.Sections.Order(StringComparer.Ordinal));
        var readelf = Tool.Run("readelf", ["-SWrs", dir["m.ko"]], null, CancellationToken.None);
        Assert.True(readelf.Ok, readelf.Output);
        Assert.Matches(@"\.klp\.rela\.vmlinux\.\.text\.patched\s+RELA\s+0+\s+\w+\s+0+18\s+18\s+AIo", readelf.Output);
        Assert.Matches(@"NOTYPE\s+GLOBAL\s+DEFAULT\s+OS \[0xff20\] \.klp\.sym\.vmlinux\.counter,2", readelf.Output);
        using var ko = ElfObject.Read(dir["m.ko"]);
        var text = ko.FindSection(".text.patched")!;
        var ordinary = ko.RelocationSectionsFor(text).Single(s => s.Name == ".rela.text.patched").Relocations!;
        Assert.Contains(ordinary, r => r.Symbol!.Name == "printk");
        Assert.DoesNotContain(ordinary, r => r.Symbol!.Name.StartsWith(".klp.sym.", StringComparison.Ordinal));
        // The data section's only relocation was a livepatch one: its ordinary section is gone.
        Assert.Null(ko.FindSection(".rela.data.table"));
        // ld still accepts the result.
        Assert.True(Tool.Run("ld", ["-r", "-o", dir["again.o"], dir["m.ko"]], null, CancellationToken.None).Ok);
    }

    private const string CrossSource = """
        extern int local_counter;
        extern int printk(const char *, ...);
        int patched(void) { printk("x"); return local_counter; }
        int *table[] = { &local_counter };
        """;

    /// <summary>The module stage on ppc64le and aarch64 objects (cross-compiled): the same sections, with relocations that architecture's loader applies.</summary>
    [Theory]
    // ppc64le code reaches the variable through the TOC: the .toc entry is what the livepatch core relocates.
    [InlineData("ppc64le", "-mabi=elfv2 -mcmodel=medium -mprofile-kernel -pg", ".klp.rela.vmlinux..data.rel.table,.klp.rela.vmlinux..toc")]
    [InlineData("aarch64", "-fpatchable-function-entry=4,2 -mgeneral-regs-only", ".klp.rela.vmlinux..data.table,.klp.rela.vmlinux..text.patched")]
    public void Livepatch_relocations_of_other_architectures_are_converted(string archName, string flags, string sections)
    {
        using var dir = TestPaths.TempDir();
        File.WriteAllText(dir["m.c"], CrossSource);
        var r = Tool.Run(CrossTools.ToolFor(archName, "gcc"), ["-O2", "-fno-PIE", "-ffunction-sections", "-fdata-sections", .. flags.Split(' '), "-c", dir["m.c"], "-o", dir["m.ko"]], null, CancellationToken.None);
        Assert.True(r.Ok, r.Output);
        FakeKernelTree.Run(CrossTools.ToolFor(archName, "objcopy"), "--redefine-sym", "local_counter=.klp.sym.vmlinux.counter,2", dir["m.ko"]);

        var result = KlpConverter.ConvertFile(dir["m.ko"]);

        Assert.Equal(1, result.Symbols);
        Assert.Equal(sections.Split(','), result.Sections.Order(StringComparer.Ordinal));
        using var ko = ElfObject.Read(dir["m.ko"]);
        var arch = Architecture.For(ko.Machine, dir["m.ko"]);
        Assert.Equal(archName, arch.Name);
        var klp = ko.Sections.Where(s => s.Name.StartsWith(".klp.rela.", StringComparison.Ordinal)).SelectMany(s => s.Relocations!).ToList();
        Assert.Equal(result.Relocations, klp.Count);
        Assert.All(klp, k => Assert.True(arch.ModuleLoaderAccepts(k.Type), arch.RelocationName(k.Type)));
        Assert.Contains(klp, k => k.Type == arch.Pointer64); // the table's pointer
        Assert.Equal(SpecialSection.Livepatch, ko.FindSymbol(".klp.sym.vmlinux.counter,2")!.SpecialIndex);
        Assert.True(Tool.Run(CrossTools.ToolFor(archName, "ld"), ["-r", "-o", dir["again.o"], dir["m.ko"]], null, CancellationToken.None).Ok);
    }

    [Fact]
    public void A_livepatch_relocation_the_module_loader_cannot_apply_is_refused_naming_it()
    {
        using var dir = TestPaths.TempDir();
        File.WriteAllText(dir["m.c"], CrossSource);
        // Position-independent code reaches externs through the GOT, which the arm64 module loader does not handle.
        var r = Tool.Run(CrossTools.ToolFor("aarch64", "gcc"), ["-O2", "-fPIE", "-ffunction-sections", "-c", dir["m.c"], "-o", dir["m.ko"]], null, CancellationToken.None);
        Assert.True(r.Ok, r.Output);
        FakeKernelTree.Run(CrossTools.ToolFor("aarch64", "objcopy"), "--redefine-sym", "local_counter=.klp.sym.vmlinux.counter,2", dir["m.ko"]);
        byte[] before = File.ReadAllBytes(dir["m.ko"]);
        var e = Assert.Throws<KpkException>(() => KlpConverter.ConvertFile(dir["m.ko"]));
        Assert.Contains("R_AARCH64_ADR_GOT_PAGE", e.Message);
        Assert.Contains(".klp.sym.vmlinux.counter,2", e.Message);
        Assert.Contains("aarch64 module loader", e.Message);
        Assert.Equal(before, File.ReadAllBytes(dir["m.ko"])); // nothing half-written
    }

    [Fact]
    public void Call_sites_of_calls_only_the_livepatch_core_resolves_leave_the_table()
    {
        using var dir = TestPaths.TempDir();
        // A linked patch module on a CALL_THUNKS kernel: objtool listed every call in .call_sites,
        // one to a static of vmlinux (bound by the livepatch core) and one to an exported function.
        File.WriteAllText(dir["m.s"], """
            .section .text.patched,"ax"
            .globl patched
            patched:
            1:  call ".klp.sym.vmlinux.static_fn,0"
            2:  call printk
            3:  call ".klp.sym.vmlinux.other_fn,0"
                ret
            .section .call_sites,"a"
            .long 1b - .
            .long 2b - .
            .long 3b - .
            """);
        Assert.True(Tool.Run("as", ["-o", dir["m.ko"], dir["m.s"]], null, CancellationToken.None).Ok);

        var result = KlpConverter.ConvertFile(dir["m.ko"]);

        Assert.Equal(2, result.CallSitesDropped);
        using var ko = ElfObject.Read(dir["m.ko"]);
        var sites = ko.FindSection(".call_sites")!;
        Assert.Equal(4, sites.Data.Length);
        var entry = Assert.Single(ko.RelocationSectionsFor(sites).Single().Relocations!);
        Assert.Equal(0UL, entry.Offset);
        // What is left is the call to printk, at .text.patched+5.
        Assert.Equal(5L, (long)entry.Symbol!.Value + entry.Addend);
        Assert.True(Tool.Run("ld", ["-r", "-o", dir["again.o"], dir["m.ko"]], null, CancellationToken.None).Ok);
    }

    [Fact]
    public void Call_sites_go_entirely_when_every_call_is_bound_by_the_livepatch_core()
    {
        using var dir = TestPaths.TempDir();
        File.WriteAllText(dir["m.s"], """
            .section .text.patched,"ax"
            1:  call ".klp.sym.vmlinux.static_fn,0"
                ret
            .section .call_sites,"a"
            .long 1b - .
            """);
        Assert.True(Tool.Run("as", ["-o", dir["m.ko"], dir["m.s"]], null, CancellationToken.None).Ok);
        Assert.Equal(1, KlpConverter.ConvertFile(dir["m.ko"]).CallSitesDropped);
        using var ko = ElfObject.Read(dir["m.ko"]);
        Assert.Null(ko.FindSection(".call_sites"));
        Assert.Null(ko.FindSection(".rela.call_sites"));
    }

    [Fact]
    public void A_malformed_livepatch_symbol_name_is_an_error_naming_it()
    {
        using var dir = TestPaths.TempDir();
        File.WriteAllText(dir["m.c"], "extern int x;\nint f(void) { return x; }\n");
        Assert.True(Tool.Run("gcc", ["-O2", "-c", dir["m.c"], "-o", dir["m.ko"]], null, CancellationToken.None).Ok);
        FakeKernelTree.Run("objcopy", "--redefine-sym", "x=.klp.sym.nodot", dir["m.ko"]);
        var e = Assert.Throws<KpkException>(() => KlpConverter.ConvertFile(dir["m.ko"]));
        Assert.Contains(".klp.sym.nodot", e.Message);
    }
}

public class MakeProgressTests
{
    [Fact]
    public void Counts_compiled_files_and_reports_the_current_one()
    {
        var reporter = new RecordingReporter();
        var progress = new MakeProgress(reporter, "original build", TimeSpan.Zero);
        foreach (var line in new[] { "make[1]: Entering directory '/o'", "  CC      init/main.o", "  AS      arch/x86/entry/entry_64.o",
                     "  LD      vmlinux.o", "  CC [M]  samples/kobject/kobject-example.o", "  AR      lib/lib.a" })
            progress.Line(line);
        Assert.Equal(3, progress.Compiled);
        Assert.Equal(["  original build: 1 files compiled, now init/main.o",
            "  original build: 2 files compiled, now arch/x86/entry/entry_64.o",
            "  original build: 3 files compiled, now [M]  samples/kobject/kobject-example.o"], reporter.Lines);
    }

    [Fact]
    public void Reports_at_most_once_per_interval()
    {
        var reporter = new RecordingReporter();
        var progress = new MakeProgress(reporter, "b", TimeSpan.FromHours(1));
        for (int i = 0; i < 100; i++) progress.Line($"  CC      f{i}.o");
        Assert.Equal(100, progress.Compiled);
        Assert.Empty(reporter.Lines);
    }

    [Fact]
    public void With_vv_every_line_of_make_is_shown_as_it_comes()
    {
        string[] make = ["make[1]: Entering directory '/o'", "  CC      init/main.o", "  LD      vmlinux.o"];
        foreach (int verbosity in new[] { 1, 2 })
        {
            var reporter = new RecordingReporter(verbosity);
            var progress = new MakeProgress(reporter, "b", TimeSpan.FromHours(1));
            foreach (var line in make) progress.Line(line);
            Assert.Equal(verbosity >= VerbosityLevel.ToolOutput ? make.Select(l => "  " + l) : [], reporter.Lines);
        }
    }
}
