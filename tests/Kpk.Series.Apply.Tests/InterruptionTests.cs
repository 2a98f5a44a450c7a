using System.Diagnostics;
using Kpk.Core;

namespace Kpk.Series.Apply.Tests;

/// <summary>Ctrl-C: the tree is either removed or left at a patch boundary that quilt continues from.</summary>
public class InterruptionTests
{
    /// <summary>Cancels when a progress line or stage starts with a given text, as a user's Ctrl-C would at that moment.</summary>
    private sealed class CancelOn(string prefix, CancellationTokenSource cancel) : IReporter
    {
        public int Verbosity => 0;
        public void Stage(string name) => Check(name);
        public void Info(string message) => Check(message);
        public void Detail(string message, int level = 1) { }
        public void Warning(string message) { }
        private void Check(string line) { if (line.StartsWith(prefix, StringComparison.Ordinal)) cancel.Cancel(); }
    }

    [Fact]
    public void Interrupted_while_patching_the_tree_stays_at_a_patch_boundary()
    {
        using var ws = new SeriesWorkspace();
        var kernel = new SmallKernel(ws);
        using var cts = new CancellationTokenSource();
        var vanillaBefore = TreeSnapshot.Manifest(ws.Vanilla);

        // Ctrl-C as patch 3 starts: patch 3 finishes (it was running) and the run stops there.
        var e = Assert.Throws<KpkException>(() => ws.Apply(reporter: new CancelOn("patch 3/", cts), cancel: cts.Token));

        Assert.Equal(ExitCodes.Interrupted, e.ExitCode);
        Assert.Contains("interrupted after 3/6 patches", e.Message);
        Assert.Contains("quilt push continues", e.Message);
        string tree = ws.Tree();
        TreeSnapshot.AssertSame(kernel.States[3], TreeSnapshot.Contents(tree));
        Assert.Equal(kernel.Patches[..3], File.ReadAllLines(Path.Combine(tree, ".pc/applied-patches")));
        Assert.Empty(Directory.GetFileSystemEntries(ws.Scratch, ".kpk-*"));
        TreeSnapshot.AssertSame(vanillaBefore, TreeSnapshot.Manifest(ws.Vanilla));
        var push = Tools.Quilt(tree, "push", "-a");
        Assert.True(push.Exit == 0, push.Out + push.Err);
        TreeSnapshot.AssertSame(kernel.States[^1], TreeSnapshot.Contents(tree));
    }

    [Fact]
    public void Interrupted_while_linking_leaves_no_tree()
    {
        using var ws = new SeriesWorkspace();
        new SmallKernel(ws);
        using var cts = new CancellationTokenSource();
        var e = Assert.Throws<KpkException>(() => ws.Apply(reporter: new CancelOn("linking", cts), cancel: cts.Token));
        Assert.Equal(ExitCodes.Interrupted, e.ExitCode);
        Assert.Contains("while linking", e.Message);
        Assert.False(Directory.Exists(ws.Tree()));
        Assert.Empty(Directory.GetFileSystemEntries(ws.Scratch, ".kpk-*"));
    }

    [Fact]
    public void Interrupted_while_unpacking_leaves_no_unpacked_tree()
    {
        using var ws = new SeriesWorkspace();
        new SmallKernel(ws);
        string tarball = Path.Combine(ws.Root, "linux-6.1.tar.xz");
        Assert.Equal(0, Tools.Run("tar", ws.Root, "-cJf", tarball, "linux-6.1").Exit);
        using var cts = new CancellationTokenSource();
        var e = Assert.Throws<KpkException>(() => ws.Apply(o => o with { Vanilla = tarball }, new CancelOn("unpacking", cts), cts.Token));
        Assert.Equal(ExitCodes.Interrupted, e.ExitCode);
        Assert.Contains("while unpacking", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(ws.Scratch));
    }

    [Fact]
    public void Interrupted_fast_pass_removes_the_tree()
    {
        using var ws = new SeriesWorkspace();
        new SmallKernel(ws);
        using var cts = new CancellationTokenSource();
        var e = Assert.Throws<KpkException>(() => ws.Apply(o => o with { Fast = true }, new CancelOn("fast-applying", cts), cts.Token));
        Assert.Equal(ExitCodes.Interrupted, e.ExitCode);
        Assert.False(Directory.Exists(ws.Tree()));
        Assert.Empty(Directory.GetFileSystemEntries(ws.Scratch, ".kpk-*"));
    }

    [Fact]
    public async Task Sigint_to_kpk_stops_at_a_patch_boundary_that_quilt_continues_from()
    {
        using var ws = new SeriesWorkspace();
        ws.WriteVanilla("Makefile", "all:\n");
        const int count = 300;
        var names = new List<string>();
        for (int i = 1; i <= count; i++) names.Add(ws.AddPatch($"patches.suse/{i:D4}-file.patch", Diff.Create($"files/f{i:D4}.c", $"int f{i};\n")));
        ws.WriteSeries([.. names]);
        var vanillaBefore = TreeSnapshot.Manifest(ws.Vanilla);

        // env resets SIGINT to its default before it execs kpk (same pid): a test run started in the
        // background by a shell inherits SIGINT ignored, and kpk would rightly keep it ignored.
        var psi = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "--default-signal=INT", Path.Combine(TestPaths.RepoRoot, "kpk"), "series", "apply", "--vanilla", ws.Vanilla, "--series", ws.SeriesConf, "--dir", ws.Scratch }) psi.ArgumentList.Add(a);
        using var kpk = Process.Start(psi)!;
        var stdout = kpk.StandardOutput.ReadToEndAsync();
        var errors = new System.Text.StringBuilder();
        string? line;
        bool signalled = false;
        while ((line = kpk.StandardError.ReadLine()) != null)
        {
            errors.AppendLine(line);
            if (!signalled && line.StartsWith("patch 20/", StringComparison.Ordinal))
            {
                Assert.Equal(0, Tools.Run("kill", "/", "-INT", kpk.Id.ToString()).Exit);
                signalled = true;
            }
        }
        kpk.WaitForExit();
        string printed = await stdout;
        Assert.True(signalled, errors.ToString());
        Assert.True(kpk.ExitCode == ExitCodes.Interrupted, $"exit {kpk.ExitCode}\n{errors}{printed}");
        Assert.Contains("kpk: interrupted after ", errors.ToString());

        string tree = ws.Tree();
        string[] applied = File.ReadAllLines(Path.Combine(tree, ".pc/applied-patches"));
        Assert.InRange(applied.Length, 20, count - 1);
        Assert.Equal(names[..applied.Length], applied);
        var files = Directory.GetFiles(Path.Combine(tree, "files")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Enumerable.Range(1, applied.Length).Select(i => $"f{i:D4}.c"), files);
        Assert.Empty(Directory.GetFileSystemEntries(ws.Scratch, ".kpk-*"));

        var push = Tools.Quilt(tree, "push", "-a");
        Assert.True(push.Exit == 0, push.Out + push.Err);
        Assert.Equal(count, Directory.GetFiles(Path.Combine(tree, "files")).Length);
        TreeSnapshot.AssertSame(vanillaBefore, TreeSnapshot.Manifest(ws.Vanilla, withTimes: true));
    }
}
