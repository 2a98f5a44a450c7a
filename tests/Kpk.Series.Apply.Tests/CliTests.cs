using System.IO.Compression;

namespace Kpk.Series.Apply.Tests;

/// <summary>The verbs as a user runs them: ./kpk, its output, exit codes and messages.</summary>
public class CliTests
{
    [Fact]
    public void Series_apply_prints_the_tree_and_progress()
    {
        using var ws = new SeriesWorkspace();
        var kernel = new SmallKernel(ws);
        var run = KpkProcess.Run("series", "apply", "--vanilla", ws.Vanilla, "--series", ws.SeriesConf, "--dir", ws.Scratch, "--upto", "remove-old-doc.patch");
        Assert.True(run.Exit == 0, run.Err);
        Assert.Equal(
            $"tree: {ws.Tree()}\napplied: 4 of 6 selected patches; 2 left for quilt push, next patches.suse/git-rename-and-mode.patch\nlog: {ws.Scratch}/patch-linux-6.1-patched.log\n",
            run.Out);
        Assert.Contains("patch 4/4 patches.suse/remove-old-doc.patch", run.Err);
        TreeSnapshot.AssertSame(kernel.States[4], TreeSnapshot.Contents(ws.Tree()));
    }

    [Fact]
    public void Series_apply_failure_exits_1_with_the_patch_output_and_no_stack_trace()
    {
        using var ws = new SeriesWorkspace();
        var kernel = new SmallKernel(ws);
        ws.AddPatch("bad.patch", Diff.Modify("Makefile", "other\n", "x\n"));
        ws.WriteSeries([kernel.Patches[0], "+sym bad.patch"]);
        var run = KpkProcess.Run("series", "apply", "--vanilla", ws.Vanilla, "--series", ws.SeriesConf, "--dir", ws.Scratch, "--symbol", "sym");
        Assert.Equal(1, run.Exit);
        Assert.Contains($"kpk: patch bad.patch ({ws.SeriesConf}:2) does not apply", run.Err);
        Assert.Contains("Hunk #1 FAILED", run.Err);
        Assert.DoesNotContain("   at ", run.Err);
        TreeSnapshot.AssertSame(kernel.States[1], TreeSnapshot.Contents(ws.Tree("-sym")));

        run = KpkProcess.Run("series", "apply", "--series", ws.SeriesConf);
        Assert.NotEqual(0, run.Exit);
        Assert.Contains("--vanilla", run.Err);
    }

    [Fact]
    public void Config_merge_writes_atomically_and_warns_with_file_and_line()
    {
        using var dir = TestPaths.TempDir("kpk-config");
        File.WriteAllText(dir["base"], "CONFIG_A=y\n# CONFIG_B is not set\n");
        File.WriteAllText(dir["addon"], "CONFIG_B=m\nnonsense\nCONFIG_C=y\n");
        var run = KpkProcess.Run("config", "merge", dir["base"], dir["addon"]);
        Assert.Equal(0, run.Exit);
        Assert.Equal("CONFIG_A=y\nCONFIG_B=m\nCONFIG_C=y\n", run.Out);
        Assert.Equal($"warning: {dir["addon"]}:2: not a config line: nonsense\n", run.Err);

        run = KpkProcess.Run("config", "merge", "--strict", "-o", dir["out"], dir["base"], dir["addon"]);
        Assert.Equal(1, run.Exit);
        Assert.Contains($"kpk: {dir["addon"]}:2: not a config line: nonsense", run.Err);
        Assert.False(File.Exists(dir["out"]));

        run = KpkProcess.Run("config", "merge", "-o", dir["out"], dir["base"]);
        Assert.Equal(0, run.Exit);
        Assert.Equal(File.ReadAllText(dir["base"]), File.ReadAllText(dir["out"]));

        // -o naming a directory: one clear line, nothing written into or beside it.
        Directory.CreateDirectory(dir["outdir"]);
        run = KpkProcess.Run("config", "merge", "-o", dir["outdir"], dir["base"]);
        Assert.Equal(1, run.Exit);
        Assert.Equal($"kpk: {dir["outdir"]}: is a directory; name the file to write\n", run.Err);
        Assert.Empty(Directory.GetFileSystemEntries(dir["outdir"]));
        Assert.Equal(["addon", "base", "out", "outdir"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Order());

        run = KpkProcess.Run("config", "merge", dir["base"], dir["missing"]);
        Assert.Equal(1, run.Exit);
        Assert.StartsWith($"kpk: {dir["missing"]}: cannot read", run.Err);
    }

    [Fact]
    public void Config_diff_and_running()
    {
        using var dir = TestPaths.TempDir("kpk-config");
        File.WriteAllText(dir["a"], "CONFIG_A=y\nCONFIG_B=y\n");
        File.WriteAllText(dir["b"], "CONFIG_A=m\nCONFIG_C=y\n");
        var run = KpkProcess.Run("config", "diff", dir["a"], dir["b"]);
        Assert.Equal(0, run.Exit);
        Assert.Equal("-B y\n A y -> m\n+C y\n", run.Out);
        run = KpkProcess.Run("config", "diff", "-m", dir["a"], dir["b"]);
        Assert.Equal("CONFIG_A=m\nCONFIG_C=y\n", run.Out);

        Directory.CreateDirectory(dir["root/proc"]);
        using (var f = File.Create(dir["root/proc/config.gz"]))
        using (var gz = new GZipStream(f, CompressionLevel.Fastest))
            gz.Write("CONFIG_RUNNING=y\n"u8);
        run = KpkProcess.Run("config", "running", "--root", dir["root"]);
        Assert.Equal(0, run.Exit);
        Assert.Equal("CONFIG_RUNNING=y\n", run.Out);
        Assert.Contains(dir["root/proc/config.gz"], run.Err);

        run = KpkProcess.Run("config", "running", "--root", dir["nothing"]);
        Assert.Equal(1, run.Exit);
        Assert.StartsWith("kpk: no ", run.Err);
    }
}
