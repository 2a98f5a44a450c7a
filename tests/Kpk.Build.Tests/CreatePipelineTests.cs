using System.Formats.Tar;
using System.IO.Compression;
using Kpk.Build;
using Kpk.Core;
using Kpk.Elf;
using Xunit;

namespace Kpk.Build.Tests;

/// <summary>The whole of kpk create on the fake kernel tree: real patch, make, gcc, differ, ld.</summary>
public class CreatePipelineTests
{
    private const string CmdlineFrom = "seq_puts(m, saved_command_line);";
    private const string CmdlineTo = "seq_printf(m, \"%s kpk=%d\", saved_command_line, calls);";

    [Fact]
    public void Patch_makes_a_livepatch_module_and_archive_and_leaves_the_tree_alone()
    {
        using var k = new FakeKernelTree();
        string before = k.Snapshot();
        string patch = k.MakePatch("fix-cmdline-show.patch", "fs/proc/cmdline.c", CmdlineFrom, CmdlineTo);

        var outcome = k.Create(k.Args(patch) with { Id = "abc12345", Description = "show \"kpk\"", SkipCleanup = true });

        Assert.Equal(before, k.Snapshot());
        Assert.Equal(Path.Combine(k.Out, "fix_cmdline_show.ko"), outcome.ModuleFile);
        Assert.Equal(Path.Combine(k.Out, "kpk-abc12345.tar.gz"), outcome.Archive);
        Assert.Equal(["fix_cmdline_show.ko", "kpk-abc12345.tar.gz"], Directory.GetFiles(k.Out).Select(f => Path.GetFileName(f)!).Order().ToArray());
        var f = Assert.Single(outcome.Functions);
        Assert.Equal(("cmdline_proc_show", "vmlinux", 0ul), (f.Name, f.ParentObject, f.Sympos));

        // The module: the static 'calls' of vmlinux is reached through a livepatch relocation.
        using (var ko = ElfObject.Read(outcome.ModuleFile!))
        {
            var klpRela = Assert.Single(ko.Sections, s => s.Name.StartsWith(".klp.rela.", StringComparison.Ordinal));
            Assert.Equal(".klp.rela.vmlinux..text.cmdline_proc_show", klpRela.Name);
            Assert.Equal(SectionType.Rela, klpRela.Type);
            Assert.Equal(SectionFlags.Alloc | SectionFlags.InfoLink | SectionFlags.RelaLivepatch, klpRela.Flags);
            Assert.Equal(".text.cmdline_proc_show", klpRela.InfoSection!.Name);
            Assert.Same(ko.SymbolTable, klpRela.Link);
            Assert.All(klpRela.Relocations!, r => Assert.Equal(".klp.sym.vmlinux.calls,0", r.Symbol!.Name));
            var sym = ko.FindSymbol(".klp.sym.vmlinux.calls,0")!;
            Assert.Equal(SpecialSection.Livepatch, sym.SpecialIndex);
            // No ordinary relocation is left against a livepatch symbol.
            Assert.DoesNotContain(ko.Sections.Where(s => s.IsRelocation && !s.Name.StartsWith(".klp.", StringComparison.Ordinal)),
                s => s.Relocations!.Any(r => r.Symbol == sym));
            Assert.NotNull(ko.FindSymbol("kpk.new.vmlinux.cmdline_proc_show.0"));
        }

        string hook = File.ReadAllText(Path.Combine(outcome.WorkDirectory!, "module", "kpk-hook.c"));
        Assert.Contains("extern char kpk_fn_0_0[] __asm__(\"kpk.new.vmlinux.cmdline_proc_show.0\");", hook);
        Assert.Contains("{ .old_name = \"cmdline_proc_show\", .new_func = kpk_fn_0_0, .old_sympos = 0, },", hook);
        Assert.Contains("{ .name = NULL, .funcs = kpk_funcs_0, },", hook);
        Assert.Contains(".replace = true,", hook);
        Assert.Contains("MODULE_INFO(livepatch, \"Y\");", hook);
        Assert.Contains("MODULE_DESCRIPTION(\"show \\\"kpk\\\"\");", hook);
        Directory.Delete(outcome.WorkDirectory!, recursive: true);

        // The archive: kpk-ID/ with the module, the patch and the manifest.
        var entries = ReadArchive(outcome.Archive!);
        Assert.Equal(["kpk-abc12345/", "kpk-abc12345/fix-cmdline-show.patch", "kpk-abc12345/fix_cmdline_show.ko", "kpk-abc12345/manifest.json"],
            entries.Keys.Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(File.ReadAllBytes(outcome.ModuleFile!), entries["kpk-abc12345/fix_cmdline_show.ko"]);
        Assert.Equal(File.ReadAllBytes(patch), entries["kpk-abc12345/fix-cmdline-show.patch"]);
        var manifest = PatchManifest.Parse(System.Text.Encoding.UTF8.GetString(entries["kpk-abc12345/manifest.json"]), "manifest.json");
        Assert.Equal(1, manifest.Format);
        Assert.Equal("abc12345", manifest.Id);
        Assert.Equal("fix_cmdline_show", manifest.Name);
        Assert.True(manifest.Replace);
        Assert.Equal(["cmdline_proc_show"], manifest.Objects["vmlinux"]);
        Assert.StartsWith("GCC: ", manifest.Compiler);
        string json = System.Text.Encoding.UTF8.GetString(entries["kpk-abc12345/manifest.json"]);
        Assert.Equal("6.1.0-kpktest", manifest.KernelRelease);
        // The fake vmlinux (ld -r) has no build id, so that field is left out; the rest is always there.
        Assert.Null(manifest.VmlinuxBuildId);
        foreach (var field in new[] { "format", "id", "name", "description", "kernel_release", "compiler", "replace", "objects", "kpk_version", "created" })
            Assert.Contains($"\"{field}\":", json);
    }

    [Fact]
    public void The_original_build_is_cached_and_reused_and_stays_as_it_was()
    {
        using var k = new FakeKernelTree();
        var first = new RecordingReporter();
        k.Create(k.Args(k.MakePatch("a.patch", "fs/proc/cmdline.c", CmdlineFrom, CmdlineTo)) with { FullBuild = true }, first);
        Assert.Contains(first.Lines, l => l.StartsWith("stage: building the original kernel", StringComparison.Ordinal));
        string cachedObject = Path.Combine(k.CacheEntryDir, "obj", "fs", "proc", "cmdline.o");
        byte[] original = File.ReadAllBytes(cachedObject);
        var shadow = new ShadowTree(k.Tree, Path.Combine(k.CacheEntryDir, "src"));
        Assert.True(shadow.IsLinked("fs/proc/cmdline.c"));

        var second = new RecordingReporter();
        var outcome = k.Create(k.Args(k.MakePatch("b.patch", "fs/proc/uptime.c", "0.00 0.00", "1.00 1.00")) with { Name = "second", FullBuild = true }, second);
        Assert.Contains(second.Lines, l => l.StartsWith("reusing the cached original build", StringComparison.Ordinal));
        Assert.DoesNotContain(second.Lines, l => l.StartsWith("stage: building the original kernel", StringComparison.Ordinal));
        Assert.Equal(["fs/proc/uptime.o"], outcome.ChangedObjects);
        Assert.Equal(original, File.ReadAllBytes(cachedObject));
        Assert.True(shadow.IsLinked("fs/proc/cmdline.c"));
        Assert.True(shadow.IsLinked("fs/proc/uptime.c"));
        Assert.False(File.Exists(Path.Combine(k.CacheEntryDir, "journal.json")));
    }

    [Fact]
    public void A_patch_that_does_not_apply_shows_patch_output_and_changes_nothing()
    {
        using var k = new FakeKernelTree();
        string patch = k.MakePatch("bad.patch", "fs/proc/cmdline.c", CmdlineFrom, CmdlineTo);
        File.WriteAllText(patch, File.ReadAllText(patch).Replace("calls++;", "calls += 2;"));
        string before = k.Snapshot();

        var e = Assert.Throws<KpkException>(() => k.Create(k.Args(patch)));

        Assert.Contains("bad.patch does not apply", e.Message);
        Assert.Contains("Hunk #1 FAILED", e.Message);
        AssertNothingLeft(k, before, "fs/proc/cmdline.c");
    }

    [Fact]
    public void A_build_failure_names_the_file_its_compile_command_and_the_log()
    {
        using var k = new FakeKernelTree();
        string before = k.Snapshot();
        string patch = k.MakePatch("broken.patch", "fs/proc/cmdline.c", CmdlineFrom, "seq_puts(m, no_such_variable);");

        var e = Assert.Throws<KpkException>(() => k.Create(k.Args(patch)));

        Assert.Contains("building the patched objects failed", e.Message);
        Assert.Contains("fs/proc/cmdline.c:8:", e.Message);
        Assert.Contains("no_such_variable", e.Message);
        Assert.Contains("compiled with: gcc ", e.Message);
        string log = e.Message.Split("log: ")[1].Trim();
        Assert.True(File.Exists(log), log);
        AssertNothingLeft(k, before, "fs/proc/cmdline.c");
        // The original object is the cache's again, and up to date for make.
        Assert.True(File.Exists(Path.Combine(k.CacheEntryDir, "obj", "fs", "proc", "cmdline.o")));
    }

    [Fact]
    public void A_change_without_effect_on_code_is_no_functional_change()
    {
        using var k = new FakeKernelTree();
        string patch = k.MakePatch("comment.patch", "fs/proc/cmdline.c", "\treturn 0;", "\t/* all done */\n\treturn 0;");
        var e = Assert.Throws<KpkException>(() => k.Create(k.Args(patch)));
        Assert.Equal(ExitCodes.NoChange, e.ExitCode);
        Assert.Contains("no functional changes", e.Message);
        Assert.False(Directory.Exists(k.Out));
    }

    [Fact]
    public void A_change_to_a_file_this_build_does_not_compile_is_no_functional_change()
    {
        using var k = new FakeKernelTree();
        File.WriteAllText(Path.Combine(k.Tree, "fs", "proc", "unused.c"), "int unused;\n");
        string patch = k.MakePatch("unused.patch", "fs/proc/unused.c", "int unused;", "int unused = 1;");
        var e = Assert.Throws<KpkException>(() => k.Create(k.Args(patch)));
        Assert.Equal(ExitCodes.NoChange, e.ExitCode);
        Assert.Contains("fs/proc/unused.c", e.Message);
    }

    [Fact]
    public void A_change_the_differ_refuses_exits_unsupported_naming_the_file()
    {
        using var k = new FakeKernelTree();
        string patch = k.MakePatch("data.patch", "drivers/demo/demo.c", "static int demo_state = 1;", "static int demo_state = 1;\nstatic int demo_more[4] = { 1, 2, 3, 4 };\nint demo_extra(void) { return demo_more[2]; }");
        var e = Record.Exception(() => k.Create(k.Args(patch)));
        // A new function using new static data is supported; a change of existing data is not:
        Assert.Null(e);

        using var k2 = new FakeKernelTree();
        string bad = k2.MakePatch("data2.patch", "drivers/demo/demo.c", "static int demo_state = 1;", "static int demo_state = 2;");
        var refused = Assert.Throws<KpkException>(() => k2.Create(k2.Args(bad)));
        Assert.Equal(ExitCodes.Unsupported, refused.ExitCode);
        Assert.Contains("drivers/demo/demo.c", refused.Message);
        Assert.False(Directory.Exists(k2.Out));
    }

    [Fact]
    public void A_module_object_is_patched_as_its_module()
    {
        using var k = new FakeKernelTree();
        string patch = k.MakePatch("demo.patch", "drivers/demo/demo.c", "\"%d\\n\", demo_state", "\"state %d\\n\", demo_state");
        var outcome = k.Create(k.Args(patch) with { SkipCleanup = true });
        var f = Assert.Single(outcome.Functions);
        Assert.Equal(("demo_show", "demo"), (f.Name, f.ParentObject));
        Assert.Equal(["demo_show"], outcome.Manifest!.Objects["demo"]);
        string hook = File.ReadAllText(Path.Combine(outcome.WorkDirectory!, "module", "kpk-hook.c"));
        Assert.Contains("{ .name = \"demo\", .funcs = kpk_funcs_0, },", hook);
        using var ko = ElfObject.Read(outcome.ModuleFile!);
        Assert.NotNull(ko.FindSection(".klp.rela.demo..text.demo_show"));
        Assert.Equal(SpecialSection.Livepatch, ko.FindSymbol(".klp.sym.demo.demo_state,0")!.SpecialIndex);
        Directory.Delete(outcome.WorkDirectory!, recursive: true);
    }

    [Fact]
    public void Callbacks_from_kpk_patch_h_reach_the_hook()
    {
        using var k = new FakeKernelTree();
        string cmdline = File.ReadAllText(Path.Combine(k.Tree, "fs", "proc", "cmdline.c"));
        string patch = k.MakePatchOf("cb.patch", "fs/proc/cmdline.c", cmdline.Replace("#include <linux/seq.h>\n", "#include <linux/seq.h>\n#include <kpk-patch.h>\n")
            + "\nstatic void kpk_cmdline_ready(struct klp_object *obj)\n{\n\tcalls = 100;\n}\nKPK_POST_PATCH_CALLBACK(kpk_cmdline_ready);\n");
        var outcome = k.Create(k.Args(patch) with { SkipCleanup = true, NonReplace = true });
        string hook = File.ReadAllText(Path.Combine(outcome.WorkDirectory!, "module", "kpk-hook.c"));
        Assert.Contains("extern void *kpk_cb_0_post_patch __asm__(\"kpk.cb.vmlinux.post_patch\");", hook);
        Assert.Contains("kpk_objects[0].callbacks.post_patch = (void (*)(struct klp_object *))kpk_cb_0_post_patch;", hook);
        Assert.Contains(".replace = false,", hook);
        Assert.False(outcome.Manifest!.Replace);
        using var ko = ElfObject.Read(outcome.ModuleFile!);
        var cb = ko.FindSymbol("kpk.cb.vmlinux.post_patch")!;
        Assert.Equal(".kpk.callbacks.post_patch", cb.Section!.Name);
        Directory.Delete(outcome.WorkDirectory!, recursive: true);
    }

    [Fact]
    public void Ctrl_C_during_the_patched_build_restores_everything()
    {
        using var k = new FakeKernelTree();
        k.Create(k.Args() with { Prebuild = true, FullBuild = true });
        string before = k.Snapshot();
        byte[] original = File.ReadAllBytes(Path.Combine(k.CacheEntryDir, "obj", "fs", "proc", "cmdline.o"));
        using var cts = new CancellationTokenSource();
        var reporter = new CancellingReporter(cts, "building the patched objects");
        string patch = k.MakePatch("a.patch", "fs/proc/cmdline.c", CmdlineFrom, CmdlineTo);

        Assert.ThrowsAny<OperationCanceledException>(() => k.Create(k.Args(patch) with { FullBuild = true }, reporter, cts.Token));

        AssertNothingLeft(k, before, "fs/proc/cmdline.c");
        Assert.Equal(original, File.ReadAllBytes(Path.Combine(k.CacheEntryDir, "obj", "fs", "proc", "cmdline.o")));
    }

    [Fact]
    public void A_run_killed_half_way_is_undone_by_the_next_run()
    {
        using var k = new FakeKernelTree();
        k.Create(k.Args() with { Prebuild = true, FullBuild = true });
        string entry = k.CacheEntryDir;
        // What a killed run leaves: a broken-out, edited shadow file and an object set aside.
        var shadow = new ShadowTree(k.Tree, Path.Combine(entry, "src"));
        shadow.BreakLink("fs/proc/cmdline.c");
        File.AppendAllText(Path.Combine(entry, "src", "fs", "proc", "cmdline.c"), "int half_way;\n");
        string obj = Path.Combine(entry, "obj", "fs", "proc", "cmdline.o");
        Directory.CreateDirectory(Path.Combine(entry, "aside"));
        string aside = Path.Combine(entry, "aside", "0-cmdline.o");
        File.Move(obj, aside);
        new CacheEntry(entry).WriteJournal(new CacheEntry.Journal
        {
            TreeRoot = Path.Combine(entry, "src"), TreeSource = k.Tree, SourceFiles = ["fs/proc/cmdline.c"], Aside = [[obj, aside]],
        });

        var reporter = new RecordingReporter();
        var outcome = k.Create(k.Args(k.MakePatch("a.patch", "fs/proc/cmdline.c", CmdlineFrom, CmdlineTo)) with { FullBuild = true }, reporter);

        Assert.Contains(reporter.Lines, l => l.StartsWith("restoring the cached build after an interrupted run", StringComparison.Ordinal));
        Assert.True(shadow.IsLinked("fs/proc/cmdline.c"));
        Assert.True(File.Exists(obj));
        Assert.Equal("cmdline_proc_show", Assert.Single(outcome.Functions).Name);
    }

    [Fact]
    public void Diffext_takes_each_X_EXT_as_the_new_X()
    {
        using var k = new FakeKernelTree();
        string cmdline = Path.Combine(k.Tree, "fs", "proc", "cmdline.c");
        File.WriteAllText(cmdline + ".new", File.ReadAllText(cmdline).Replace(CmdlineFrom, CmdlineTo));
        string before = k.Snapshot();
        var outcome = k.Create(k.Args() with { DiffExt = "new" });
        Assert.Equal(before, k.Snapshot());
        Assert.Equal("kpk_new", outcome.Manifest!.Name);
        Assert.Equal("cmdline_proc_show", Assert.Single(outcome.Functions).Name);
        Assert.Contains("kpk-" + outcome.Manifest.Id + "/diffext.patch", ReadArchive(outcome.Archive!).Keys);
    }

    [Fact]
    public void Git_takes_the_change_from_refs_kpk_pre_to_the_commit()
    {
        using var k = new FakeKernelTree();
        void Git(params string[] args) => FakeKernelTree.Run("git", ["-C", k.Tree, "-c", "user.name=t", "-c", "user.email=t@t", .. args]);
        Git("init", "-q", "-b", "main");
        Git("add", "-A");
        Git("commit", "-q", "-m", "original");
        Git("checkout", "-q", "-b", "fix");
        string cmdline = Path.Combine(k.Tree, "fs", "proc", "cmdline.c");
        File.WriteAllText(cmdline, File.ReadAllText(cmdline).Replace(CmdlineFrom, CmdlineTo));
        Git("commit", "-q", "-am", "fix");
        Git("checkout", "-q", "main");

        var outcome = k.Create(k.Args() with { GitCommit = "fix" });

        Assert.Equal("cmdline_proc_show", Assert.Single(outcome.Functions).Name);
        Assert.Equal("kpk_fix", outcome.Manifest!.Name);
        var pre = Tool.Run("git", ["-C", k.Tree, "rev-parse", "refs/kpk/pre"], null, CancellationToken.None);
        var main = Tool.Run("git", ["-C", k.Tree, "rev-parse", "main"], null, CancellationToken.None);
        Assert.Equal(main.Output, pre.Output);
    }

    [Fact]
    public void A_compiler_other_than_vmlinux_s_is_refused_naming_both()
    {
        using var k = new FakeKernelTree();
        string comment = Path.Combine(k.Scratch, "comment");
        File.WriteAllText(comment, "GCC: (Other 9.9.9-1) 9.9.9\0");
        FakeKernelTree.Run("objcopy", "--remove-section", ".comment", "--add-section", ".comment=" + comment, k.Vmlinux);
        string patch = k.MakePatch("a.patch", "fs/proc/cmdline.c", CmdlineFrom, CmdlineTo);

        var e = Assert.Throws<KpkException>(() => k.Create(k.Args(patch)));
        Assert.Contains("compiler mismatch", e.Message);
        Assert.Contains("GCC: (Other 9.9.9-1) 9.9.9", e.Message);
        Assert.Contains(CompilerIdentity.Probe(["gcc"], Path.Combine(k.Scratch, "probe"), CancellationToken.None), e.Message);

        var outcome = k.Create(k.Args(patch) with { SkipCompilerCheck = true });
        Assert.NotNull(outcome.ModuleFile);
    }

    [Fact]
    public void A_compiler_launcher_is_used_for_every_compile()
    {
        using var k = new FakeKernelTree();
        // A launcher like ccache: logs, then runs the compiler it is given.
        string launcher = Path.Combine(k.Scratch, "launcher");
        string log = Path.Combine(k.Scratch, "launcher.log");
        File.WriteAllText(launcher, $"#!/bin/sh\necho \"$@\" >> {log}\nexec \"$@\"\n");
        File.SetUnixFileMode(launcher, (UnixFileMode)0b111_101_101);
        var outcome = k.Create(k.Args(k.MakePatch("a.patch", "fs/proc/cmdline.c", CmdlineFrom, CmdlineTo)) with { Cc = launcher + " gcc" });
        Assert.NotNull(outcome.ModuleFile);
        string calls = File.ReadAllText(log);
        Assert.Contains("kpk-cc-probe.c", calls);
        Assert.Contains("fs/proc/cmdline.c", calls);
    }

    [Fact]
    public void Prebuild_with_full_build_builds_and_caches_the_whole_original_with_measured_sizes()
    {
        using var k = new FakeKernelTree();
        var outcome = k.Create(k.Args() with { Prebuild = true, Vmlinux = null, FullBuild = true });
        Assert.Null(outcome.ModuleFile);
        Assert.False(Directory.Exists(k.Out));
        var info = new CacheEntry(outcome.CacheEntry).ReadInfo()!;
        Assert.Equal(["vmlinux", "modules"], info.BuiltTargets);
        // The fake kernel's headers: 12-byte bug_entry, 16-byte jump_entry, packed 12-byte alt_instr.
        Assert.Equal(new Dictionary<string, int> { ["bug"] = 12, ["jump"] = 16, ["alt"] = 12, ["ex"] = 12 }, info.SpecialSizes);
        // Each object was built with the live-patching flags.
        string cmd = File.ReadAllText(Path.Combine(outcome.CacheEntry, "obj", "fs", "proc", ".cmdline.o.cmd"));
        Assert.Contains("-ffunction-sections -fdata-sections", cmd);
        Assert.True(k.Create(k.Args() with { Prebuild = true, Vmlinux = null, FullBuild = true }).CacheReused);
    }

    [Fact]
    public void Several_patches_apply_in_order()
    {
        using var k = new FakeKernelTree();
        string first = k.MakePatch("1.patch", "fs/proc/cmdline.c", CmdlineFrom, CmdlineTo);
        string cmdline = Path.Combine(k.Tree, "fs", "proc", "cmdline.c");
        string saved = File.ReadAllText(cmdline);
        File.WriteAllText(cmdline, saved.Replace(CmdlineFrom, CmdlineTo));
        string second = k.MakePatch("2.patch", "fs/proc/cmdline.c", "kpk=%d", "kpk2=%d");
        File.WriteAllText(cmdline, saved);
        var outcome = k.Create(k.Args(first, second, k.MakePatch("3.patch", "fs/proc/uptime.c", "0.00 0.00", "2.00 2.00")));
        Assert.Equal(["cmdline_proc_show", "uptime_proc_show"], outcome.Functions.Select(f => f.Name).Order().ToArray());
        Assert.Equal("1", outcome.Manifest!.Name);
    }

    private static void AssertNothingLeft(FakeKernelTree k, string snapshotBefore, string touched)
    {
        Assert.Equal(snapshotBefore, k.Snapshot());
        Assert.False(Directory.Exists(k.Out));
        string entry = k.CacheEntryDir;
        Assert.False(File.Exists(Path.Combine(entry, "journal.json")));
        Assert.False(Directory.Exists(Path.Combine(entry, "aside")));
        Assert.True(new ShadowTree(k.Tree, Path.Combine(entry, "src")).IsLinked(touched));
    }

    internal static Dictionary<string, byte[]> ReadArchive(string path)
    {
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        while (tar.GetNextEntry() is { } e)
        {
            var ms = new MemoryStream();
            e.DataStream?.CopyTo(ms);
            result[e.Name] = ms.ToArray();
        }
        return result;
    }

    private sealed class CancellingReporter(CancellationTokenSource cts, string stagePrefix) : IReporter
    {
        public int Verbosity => 0;
        public void Stage(string name) { if (name.StartsWith(stagePrefix, StringComparison.Ordinal)) cts.Cancel(); }
        public void Info(string message) { }
        public void Detail(string message, int level = 1) { }
        public void Warning(string message) { }
    }
}
