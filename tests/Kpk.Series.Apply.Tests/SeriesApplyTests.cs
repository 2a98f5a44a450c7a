using Kpk.Core;

namespace Kpk.Series.Apply.Tests;

public class SeriesApplyTests
{
    [Fact]
    public void Applies_every_patch_and_leaves_the_vanilla_tree_untouched()
    {
        using var ws = new SeriesWorkspace();
        var kernel = new SmallKernel(ws);
        var vanillaBefore = TreeSnapshot.Manifest(ws.Vanilla);

        var result = ws.Apply();

        Assert.Equal(ws.Tree(), result.Tree);
        Assert.Equal(6, result.Applied);
        Assert.Equal(6, result.Selected);
        Assert.Empty(result.Remaining);
        TreeSnapshot.AssertSame(kernel.States[^1], TreeSnapshot.Contents(result.Tree));
        Assert.Equal((UnixFileMode)0b110_100_100, File.GetUnixFileMode(Path.Combine(result.Tree, "scripts/run.sh")));
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(ws.Vanilla, "scripts/run.sh")));
        TreeSnapshot.AssertSame(vanillaBefore, TreeSnapshot.Manifest(ws.Vanilla));
        Assert.Equal("linux-6.1-patched", new FileInfo(Path.Combine(ws.Scratch, "current")).LinkTarget);
        Assert.Contains("[ patches.suse/sched-more.patch ]", File.ReadAllText(result.Log));
        // No work directories or reject files left in the scratch area.
        Assert.Empty(Directory.GetFileSystemEntries(ws.Scratch, ".kpk-*"));
    }

    [Fact]
    public void Untouched_files_stay_hard_links_and_patched_ones_get_their_own_inode()
    {
        using var ws = new SeriesWorkspace();
        new SmallKernel(ws);
        var tree = ws.Apply().Tree;

        Assert.Equal(Tools.Stat(Path.Combine(ws.Vanilla, "include/empty.h")).Inode, Tools.Stat(Path.Combine(tree, "include/empty.h")).Inode);
        Assert.Equal("empty.h", new FileInfo(Path.Combine(tree, "include/alias.h")).LinkTarget);
        foreach (string changed in new[] { "Makefile", "kernel/sched.c", "drivers/net/eth.c", "scripts/run.sh" })
        {
            Assert.NotEqual(Tools.Stat(Path.Combine(ws.Vanilla, changed)).Inode, Tools.Stat(Path.Combine(tree, changed)).Inode);
            Assert.Equal(1, Tools.Stat(Path.Combine(tree, changed)).Links);
        }
    }

    [Fact]
    public void Leaves_quilt_state_that_real_quilt_understands()
    {
        using var ws = new SeriesWorkspace();
        var kernel = new SmallKernel(ws);
        var vanillaBefore = TreeSnapshot.Manifest(ws.Vanilla, withTimes: false);
        var tree = ws.Apply().Tree;

        Assert.Equal("2\n", File.ReadAllText(Path.Combine(tree, ".pc/.version")));
        Assert.Equal("patches\n", File.ReadAllText(Path.Combine(tree, ".pc/.quilt_patches")));
        Assert.Equal("series\n", File.ReadAllText(Path.Combine(tree, ".pc/.quilt_series")));
        Assert.Equal(ws.Source, new FileInfo(Path.Combine(tree, "patches")).LinkTarget);
        Assert.True(File.Exists(Path.Combine(tree, ".pc/patches.suse/sched-fix.patch/.timestamp")));
        Assert.Equal(SmallKernel.Sched, File.ReadAllText(Path.Combine(tree, ".pc/patches.suse/sched-fix.patch/kernel/sched.c")));

        var applied = Tools.Quilt(tree, "applied");
        Assert.Equal(0, applied.Exit);
        Assert.Equal(kernel.Patches, applied.Out.Trim().Split('\n'));
        Assert.Equal("patches.suse/sched-more.patch", Tools.Quilt(tree, "top").Out.Trim());

        // quilt pops every patch back to the vanilla tree, using our backups.
        var pop = Tools.Quilt(tree, "pop", "-a");
        Assert.True(pop.Exit == 0, pop.Out + pop.Err);
        TreeSnapshot.AssertSame(kernel.States[0], TreeSnapshot.Contents(tree));
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(tree, "scripts/run.sh")));
        // ... and pushes them all again.
        var push = Tools.Quilt(tree, "push", "-a");
        Assert.True(push.Exit == 0, push.Out + push.Err);
        TreeSnapshot.AssertSame(kernel.States[^1], TreeSnapshot.Contents(tree));
        TreeSnapshot.AssertSame(vanillaBefore, TreeSnapshot.Manifest(ws.Vanilla, withTimes: false));
    }

    [Fact]
    public void Upto_stops_after_the_named_patch_and_quilt_push_continues()
    {
        using var ws = new SeriesWorkspace();
        var kernel = new SmallKernel(ws);
        var vanillaBefore = TreeSnapshot.Manifest(ws.Vanilla);
        var vanillaContents = TreeSnapshot.Manifest(ws.Vanilla, withTimes: false);

        var result = ws.Apply(o => o with { UpTo = "new-driver.patch" }); // matched by the part after the slash
        TreeSnapshot.AssertSame(vanillaBefore, TreeSnapshot.Manifest(ws.Vanilla));

        Assert.Equal(3, result.Applied);
        Assert.Equal(kernel.Patches[3..], result.Remaining);
        TreeSnapshot.AssertSame(kernel.States[3], TreeSnapshot.Contents(result.Tree));
        Assert.Equal(kernel.Patches[..3], File.ReadAllLines(Path.Combine(result.Tree, ".pc/applied-patches")));

        var next = Tools.Quilt(result.Tree, "next");
        Assert.Equal("patches.suse/remove-old-doc.patch", next.Out.Trim());
        var push = Tools.Quilt(result.Tree, "push");
        Assert.True(push.Exit == 0, push.Out + push.Err);
        TreeSnapshot.AssertSame(kernel.States[4], TreeSnapshot.Contents(result.Tree));
        push = Tools.Quilt(result.Tree, "push", "-a");
        Assert.True(push.Exit == 0, push.Out + push.Err);
        TreeSnapshot.AssertSame(kernel.States[^1], TreeSnapshot.Contents(result.Tree));
        // quilt stamped the times of the files it backed up (hard links into the vanilla tree); contents and modes are intact.
        TreeSnapshot.AssertSame(vanillaContents, TreeSnapshot.Manifest(ws.Vanilla, withTimes: false));
    }

    [Fact]
    public void Upto_a_patch_that_is_not_selected_is_an_error()
    {
        using var ws = new SeriesWorkspace();
        new SmallKernel(ws);
        var e = Assert.Throws<KpkException>(() => ws.Apply(o => o with { UpTo = "no-such.patch" }));
        Assert.Contains("--upto no-such.patch", e.Message);
        Assert.False(Directory.Exists(ws.Scratch));
    }

    [Fact]
    public void A_failing_patch_is_rolled_back_and_the_tree_stays_at_the_last_good_patch()
    {
        using var ws = new SeriesWorkspace();
        var kernel = new SmallKernel(ws);
        ws.WriteVanilla("Documentation/other.txt", "other\n");
        kernel.States.ForEach(s => s["Documentation/other.txt"] = "other\n");
        ws.AddPatch("patches.suse/half.patch", SmallKernel.HalfApplyingPatch());
        ws.WriteSeries([.. kernel.Patches.Take(3), "patches.suse/half.patch", .. kernel.Patches.Skip(3)]);
        var vanillaBefore = TreeSnapshot.Manifest(ws.Vanilla);

        var e = Assert.Throws<KpkException>(() => ws.Apply());

        Assert.Equal(ExitCodes.Error, e.ExitCode);
        Assert.Contains("patches.suse/half.patch", e.Message);
        Assert.Contains($"{ws.SeriesConf}:4", e.Message);
        Assert.Contains("Hunk #1 FAILED", e.Message);
        Assert.Contains("stays at patches.suse/new-driver.patch (3/7 applied)", e.Message);
        string log = Path.Combine(ws.Scratch, "patch-linux-6.1-patched.log");
        Assert.Contains("log: " + log, e.Message);
        Assert.Contains("FAILED", File.ReadAllText(log));
        string rejects = Path.Combine(ws.Scratch, "half.patch.rej");
        Assert.Contains("rejects: " + rejects, e.Message);
        Assert.Contains("not what the tree has", File.ReadAllText(rejects));

        string tree = ws.Tree();
        TreeSnapshot.AssertSame(kernel.States[3], TreeSnapshot.Contents(tree));
        Assert.False(Directory.Exists(Path.Combine(tree, "drivers/bad")), "the directory the failed patch created is gone");
        Assert.False(Directory.Exists(Path.Combine(tree, ".pc/patches.suse/half.patch")));
        Assert.Equal(kernel.Patches[..3], File.ReadAllLines(Path.Combine(tree, ".pc/applied-patches")));
        Assert.Empty(Directory.GetFiles(tree, "*.rej", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(tree, "*.orig", SearchOption.AllDirectories));
        TreeSnapshot.AssertSame(vanillaBefore, TreeSnapshot.Manifest(ws.Vanilla));

        // quilt sees the failed patch as the next one, and refuses it the same way.
        Assert.Equal("patches.suse/half.patch", Tools.Quilt(tree, "next").Out.Trim());
        var push = Tools.Quilt(tree, "push");
        Assert.Equal(1, push.Exit);
        Assert.Contains("does not apply", push.Out + push.Err);
        TreeSnapshot.AssertSame(kernel.States[3], TreeSnapshot.Contents(tree));
    }

    [Fact]
    public void The_first_patch_failing_leaves_the_vanilla_tree_with_quilt_state()
    {
        using var ws = new SeriesWorkspace();
        var kernel = new SmallKernel(ws);
        ws.AddPatch("bad.patch", Diff.Modify("Makefile", "something else\n", "x\n"));
        ws.WriteSeries(["bad.patch", .. kernel.Patches]);
        var e = Assert.Throws<KpkException>(() => ws.Apply());
        Assert.Contains("stays at the vanilla tree (0/7 applied)", e.Message);
        TreeSnapshot.AssertSame(kernel.States[0], TreeSnapshot.Contents(ws.Tree()));
        Assert.Equal("", File.ReadAllText(Path.Combine(ws.Tree(), ".pc/applied-patches")));
    }

    [Fact]
    public void Fast_gives_the_same_tree_without_backups()
    {
        using var ws = new SeriesWorkspace();
        var kernel = new SmallKernel(ws);
        var vanillaBefore = TreeSnapshot.Manifest(ws.Vanilla);
        var result = ws.Apply(o => o with { Fast = true });
        Assert.Equal(6, result.Applied);
        TreeSnapshot.AssertSame(kernel.States[^1], TreeSnapshot.Contents(result.Tree));
        // No per-patch backups; the database is empty and the series holds only what is left (nothing).
        Assert.Equal(new[] { ".quilt_patches", ".quilt_series", ".version", "applied-patches" },
            Directory.GetFileSystemEntries(Path.Combine(result.Tree, ".pc")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("# Symbols: \n#\n", File.ReadAllText(Path.Combine(result.Tree, "series")));
        TreeSnapshot.AssertSame(vanillaBefore, TreeSnapshot.Manifest(ws.Vanilla));
    }

    [Fact]
    public void Fast_with_upto_leaves_the_rest_for_quilt()
    {
        using var ws = new SeriesWorkspace();
        var kernel = new SmallKernel(ws);
        var result = ws.Apply(o => o with { Fast = true, UpTo = "patches.suse/sched-fix.patch" });
        Assert.Equal(2, result.Applied);
        TreeSnapshot.AssertSame(kernel.States[2], TreeSnapshot.Contents(result.Tree));
        Assert.Equal(kernel.Patches[2..], File.ReadAllLines(Path.Combine(result.Tree, "series")).Skip(2));
        var push = Tools.Quilt(result.Tree, "push", "-a");
        Assert.True(push.Exit == 0, push.Out + push.Err);
        TreeSnapshot.AssertSame(kernel.States[^1], TreeSnapshot.Contents(result.Tree));
        var pop = Tools.Quilt(result.Tree, "pop", "-a");
        Assert.True(pop.Exit == 0, pop.Out + pop.Err);
        TreeSnapshot.AssertSame(kernel.States[2], TreeSnapshot.Contents(result.Tree));
    }

    [Fact]
    public void A_failing_fast_pass_removes_the_tree()
    {
        using var ws = new SeriesWorkspace();
        var kernel = new SmallKernel(ws);
        ws.AddPatch("bad.patch", Diff.Modify("Makefile", "something else\n", "x\n"));
        ws.WriteSeries([.. kernel.Patches, "bad.patch"]);
        var vanillaBefore = TreeSnapshot.Manifest(ws.Vanilla);
        var e = Assert.Throws<KpkException>(() => ws.Apply(o => o with { Fast = true }));
        Assert.Contains("fast pass failed", e.Message);
        Assert.Contains("FAILED", e.Message);
        Assert.False(Directory.Exists(ws.Tree()));
        Assert.Empty(Directory.GetFileSystemEntries(ws.Scratch, ".kpk-*"));
        TreeSnapshot.AssertSame(vanillaBefore, TreeSnapshot.Manifest(ws.Vanilla));
    }

    [Fact]
    public void Fuzz_is_zero_by_default_and_passed_to_patch()
    {
        using var ws = new SeriesWorkspace();
        string vanilla = SmallKernel.Lines("f", 10, i => i == 2 ? "drifted line 2" : null);
        ws.WriteVanilla("f.c", vanilla);
        // Made against a file whose second line differs: the hunk's first context line does not match.
        string patch = Diff.Modify("f.c", SmallKernel.Lines("f", 10), SmallKernel.Lines("f", 10, i => i == 5 ? "f line 5 changed" : null));
        ws.AddPatch("fuzzy.patch", patch);
        ws.WriteSeries("fuzzy.patch");

        var e = Assert.Throws<KpkException>(() => ws.Apply());
        Assert.Contains("FAILED", e.Message);

        var result = ws.Apply(o => o with { Fuzz = 1 });
        Assert.Equal(1, result.Applied);
        Assert.Contains("f line 5 changed", File.ReadAllText(Path.Combine(result.Tree, "f.c")));
        Assert.Contains("fuzz 1", File.ReadAllText(result.Log));
    }

    [Fact]
    public void Guards_select_patches_by_symbol()
    {
        using var ws = new SeriesWorkspace();
        ws.WriteVanilla("a.c", "a\n");
        ws.AddPatch("p/always.patch", Diff.Create("always.c", "1\n"));
        ws.AddPatch("p/with-x86.patch", Diff.Create("x86.c", "1\n"));
        ws.AddPatch("p/not-rt.patch", Diff.Create("not-rt.c", "1\n"));
        ws.AddPatch("p/never.patch", Diff.Create("never.c", "1\n"));
        ws.AddPatch("p/unless-debug.patch", Diff.Create("unless-debug.c", "1\n"));
        ws.WriteSeries(
            "p/always.patch",
            "+x86_64 p/with-x86.patch # only with x86_64",
            "-rt p/not-rt.patch",
            "- p/never.patch",
            "+!debug p/unless-debug.patch");

        var plain = ws.Apply();
        Assert.Equal(new[] { "a.c", "always.c", "not-rt.c", "unless-debug.c" }, TreeSnapshot.Contents(plain.Tree).Keys);

        var x86 = ws.Apply(o => o with { Symbols = ["x86_64", "rt", "debug"] });
        Assert.Equal(ws.Tree("-x86_64-rt-debug"), x86.Tree);
        Assert.Equal(new[] { "a.c", "always.c", "x86.c" }, TreeSnapshot.Contents(x86.Tree).Keys);
        Assert.StartsWith("# Symbols: x86_64 rt debug\n", File.ReadAllText(Path.Combine(x86.Tree, "series")));
    }

    [Fact]
    public void A_missing_patch_is_named_with_its_line_and_no_tree_is_made()
    {
        using var ws = new SeriesWorkspace();
        var kernel = new SmallKernel(ws);
        ws.WriteSeries([.. kernel.Patches.Take(2), "", "patches.suse/missing.patch", .. kernel.Patches.Skip(2)]);
        var e = Assert.Throws<KpkException>(() => ws.Apply());
        Assert.StartsWith($"{ws.SeriesConf}:4: patch patches.suse/missing.patch not found", e.Message);
        Assert.False(Directory.Exists(ws.Scratch));
    }

    [Fact]
    public void Unreadable_series_and_bad_names_are_refused()
    {
        using var ws = new SeriesWorkspace();
        ws.WriteVanilla("a", "a\n");
        var e = Assert.Throws<KpkException>(() => ws.Apply());
        Assert.Contains("no such series file", e.Message);

        ws.WriteSeries("../outside.patch");
        e = Assert.Throws<KpkException>(() => ws.Apply());
        Assert.Contains(":1: patch name ../outside.patch must be relative", e.Message);

        ws.AddPatch("x.patch", Diff.Create("x", "x\n"));
        ws.WriteSeries("x.patch", "# again", "x.patch");
        e = Assert.Throws<KpkException>(() => ws.Apply());
        Assert.Contains(":3: patch x.patch is selected twice (also at line 1)", e.Message);
        Assert.False(Directory.Exists(ws.Scratch));
    }

    [Fact]
    public void Compressed_and_empty_patches_apply_as_quilt_applies_them()
    {
        using var ws = new SeriesWorkspace();
        ws.WriteVanilla("a.c", "a\n");
        byte[] text = System.Text.Encoding.UTF8.GetBytes(Diff.Modify("a.c", "a\n", "A\n"));
        using (var f = File.Create(Path.Combine(ws.Source, "zipped.patch.gz")))
        using (var gz = new System.IO.Compression.GZipStream(f, System.IO.Compression.CompressionLevel.Optimal))
            gz.Write(text);
        ws.AddPatch("empty.patch", "");
        ws.AddPatch("next.patch", Diff.Create("b.c", "b\n"));
        ws.WriteSeries("zipped.patch.gz", "empty.patch", "next.patch");
        var result = ws.Apply();
        Assert.Equal(3, result.Applied);
        Assert.Equal("A\n", File.ReadAllText(Path.Combine(result.Tree, "a.c")));
        Assert.Equal("b\n", File.ReadAllText(Path.Combine(result.Tree, "b.c")));
        var pop = Tools.Quilt(result.Tree, "pop", "-a");
        Assert.True(pop.Exit == 0, pop.Out + pop.Err);
        Assert.Equal("a\n", File.ReadAllText(Path.Combine(result.Tree, "a.c")));
    }

    [Fact]
    public void A_compressed_patch_that_cannot_be_read_stops_the_run_without_a_tree()
    {
        using var ws = new SeriesWorkspace();
        var kernel = new SmallKernel(ws);
        ws.AddPatch("broken.patch.gz", "not gzip at all");
        ws.WriteSeries([kernel.Patches[0], "broken.patch.gz"]);
        var e = Assert.Throws<KpkException>(() => ws.Apply());
        Assert.StartsWith(Path.Combine(ws.Source, "broken.patch.gz") + ": not gzip data", e.Message);
        Assert.False(Directory.Exists(ws.Tree()));
        Assert.Empty(Directory.GetFileSystemEntries(ws.Scratch, ".kpk-*"));
    }

    [Fact]
    public void A_second_run_replaces_its_earlier_tree_but_nothing_else()
    {
        using var ws = new SeriesWorkspace();
        var kernel = new SmallKernel(ws);
        ws.Apply(o => o with { UpTo = "sched-fix.patch" });
        File.WriteAllText(Path.Combine(ws.Tree(), "stray-edit.c"), "x");
        var result = ws.Apply();
        TreeSnapshot.AssertSame(kernel.States[^1], TreeSnapshot.Contents(result.Tree));

        VanillaSource_DeleteTree(ws.Tree());
        Directory.CreateDirectory(ws.Tree());
        File.WriteAllText(Path.Combine(ws.Tree(), "precious"), "mine");
        var e = Assert.Throws<KpkException>(() => ws.Apply());
        Assert.Contains("is not a tree made by series apply", e.Message);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(ws.Tree(), "precious")));
    }

    [Fact]
    public void The_scratch_directory_cannot_be_inside_the_vanilla_tree()
    {
        using var ws = new SeriesWorkspace();
        new SmallKernel(ws);
        var vanillaBefore = TreeSnapshot.Manifest(ws.Vanilla);
        var e = Assert.Throws<KpkException>(() => ws.Apply(o => o with { ScratchDirectory = Path.Combine(ws.Vanilla, "tmp") }));
        Assert.Contains("inside the vanilla tree", e.Message);
        TreeSnapshot.AssertSame(vanillaBefore, TreeSnapshot.Manifest(ws.Vanilla));
    }

    [Fact]
    public void A_vanilla_tree_that_already_has_quilt_files_is_refused_without_leftovers()
    {
        using var ws = new SeriesWorkspace();
        new SmallKernel(ws);
        ws.WriteVanilla("series", "x\n");
        var e = Assert.Throws<KpkException>(() => ws.Apply());
        Assert.Contains("already has 'series'", e.Message);
        Assert.False(Directory.Exists(ws.Tree()));
        Assert.Empty(Directory.GetFileSystemEntries(ws.Scratch, ".kpk-*"));
    }

    [Fact]
    public void Progress_names_each_patch_with_its_number()
    {
        using var ws = new SeriesWorkspace();
        var kernel = new SmallKernel(ws);
        var reporter = new RecordingReporter();
        ws.Apply(reporter: reporter);
        for (int i = 0; i < kernel.Patches.Count; i++)
            Assert.Contains($"patch {i + 1}/6 {kernel.Patches[i]}", reporter.Lines);
    }

    private static void VanillaSource_DeleteTree(string path) => Directory.Delete(path, recursive: true);
}
