using System.Diagnostics;
using Xunit.Abstractions;

namespace Kpk.Series.Apply.Tests;

/// <summary>series apply on a real kernel tree: Debian's linux-source-6.1 tarball (unpacking takes about a minute).</summary>
public class RealKernelTests(ITestOutputHelper output)
{
    private const string Tarball = "/usr/src/linux-source-6.1.tar.xz";

    [Fact]
    [Trait("Tier", Tier.Conformance)]
    public void Patches_a_real_kernel_tree_from_its_tarball()
    {
        Assert.True(File.Exists(Tarball), $"{Tarball} is needed (scripts/install-deps installs linux-source-6.1)");
        using var ws = new SeriesWorkspace();
        ws.WriteSeries("# nothing yet");
        var clock = Stopwatch.StartNew();
        var first = ws.Apply(o => o with { Vanilla = Tarball });
        output.WriteLine($"unpack + link: {clock.Elapsed.TotalSeconds:F1} s");
        string cache = Path.Combine(ws.Scratch, "linux-source-6.1.orig");
        Assert.True(File.Exists(Path.Combine(cache, "kernel/sched/core.c")));
        Assert.Equal(0, first.Applied);

        // Patches made against the real files.
        string makefile = File.ReadAllText(Path.Combine(cache, "Makefile"));
        string core = File.ReadAllText(Path.Combine(cache, "kernel/sched/core.c"));
        string coreChanged = core.Replace("void scheduler_tick(void)\n{", "void scheduler_tick(void)\n{\n\t/* kpk was here */");
        Assert.NotEqual(core, coreChanged);
        string readme = File.ReadAllText(Path.Combine(cache, "README"));
        var names = new[]
        {
            ws.AddPatch("patches.kernel.org/extraversion.patch", Diff.Modify("Makefile", makefile, makefile.Replace("EXTRAVERSION =\n", "EXTRAVERSION = -kpk\n"))),
            ws.AddPatch("patches.suse/sched-comment.patch", Diff.Modify("kernel/sched/core.c", core, coreChanged)),
            ws.AddPatch("patches.suse/new-file.patch", Diff.Create("drivers/kpk/kpk.c", "// SPDX-License-Identifier: GPL-2.0\n")),
            ws.AddPatch("patches.suse/drop-readme.patch", Diff.Delete("README", readme)),
        };
        ws.WriteSeries(names);
        var cacheBefore = TreeSnapshot.Manifest(cache);

        clock.Restart();
        var result = ws.Apply(o => o with { Vanilla = Tarball });
        output.WriteLine($"link + 4 patches (unpacked tree reused): {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(4, result.Applied);
        Assert.Contains("EXTRAVERSION = -kpk\n", File.ReadAllText(Path.Combine(result.Tree, "Makefile")));
        Assert.Contains("/* kpk was here */", File.ReadAllText(Path.Combine(result.Tree, "kernel/sched/core.c")));
        Assert.True(File.Exists(Path.Combine(result.Tree, "drivers/kpk/kpk.c")));
        Assert.False(File.Exists(Path.Combine(result.Tree, "README")));
        Assert.Equal(Tools.Stat(Path.Combine(cache, "kernel/fork.c")).Inode, Tools.Stat(Path.Combine(result.Tree, "kernel/fork.c")).Inode);
        TreeSnapshot.AssertSame(cacheBefore, TreeSnapshot.Manifest(cache));

        var pop = Tools.Quilt(result.Tree, "pop", "-a");
        Assert.True(pop.Exit == 0, pop.Out + pop.Err);
        Assert.Equal(makefile, File.ReadAllText(Path.Combine(result.Tree, "Makefile")));
        Assert.Equal(core, File.ReadAllText(Path.Combine(result.Tree, "kernel/sched/core.c")));
        Assert.Equal(readme, File.ReadAllText(Path.Combine(result.Tree, "README")));
        Assert.False(File.Exists(Path.Combine(result.Tree, "drivers/kpk/kpk.c"))); // quilt leaves the emptied directory
    }
}
