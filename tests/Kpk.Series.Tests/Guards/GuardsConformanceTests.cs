using Kpk.Series.Guards;
using Kpk.Tests;
using Xunit;

namespace Kpk.Series.Tests.Guards;

/// <summary>kpk guards against /usr/bin/guards on SUSE's real series.conf, config.conf and supported.conf.</summary>
[Trait("Tier", Tier.Conformance)]
public class GuardsConformanceTests
{
    private static string SeriesDir => Path.Combine(TestPaths.Conformance, "series");

    public static readonly TheoryData<string, string[]> RealLines = new()
    {
        { "series.conf", [] }, { "series.conf", ["testing"] }, { "series.conf", ["needs_updating", "review"] },
        { "series.conf", ["x86_64", "duwe"] }, { "series.conf", ["testing", "needs_updating", "review", "duwe"] },
        { "series.conf", ["--invert-match"] }, { "series.conf", ["-v", "review"] }, { "series.conf", ["--default=0", "testing"] },
        { "series.conf", ["--list"] }, { "series.conf", ["--list", "--with-guards"] }, { "series.conf", ["--prefix=../kernel-source", "testing"] },
        { "config.conf", [] }, { "config.conf", ["x86_64"] }, { "config.conf", ["i386"] }, { "config.conf", ["arm64"] },
        { "config.conf", ["arm64", "needs_updating"] }, { "config.conf", ["ppc64le", "syms"] }, { "config.conf", ["s390x", "-v"] },
        { "config.conf", ["--list", "-w"] }, { "config.conf", ["--default=0", "armv7hl"] },
        { "supported.conf", [] }, { "supported.conf", ["base"] }, { "supported.conf", ["external"] }, { "supported.conf", ["--default=0", "base"] },
        { "supported.conf", ["--default=0", "optional"] }, { "supported.conf", ["--list", "--with-guards"] }, { "supported.conf", ["-v", "base", "external"] },
    };

    [Theory]
    [MemberData(nameof(RealLines))]
    public void Real_lists_give_the_same_output(string file, string[] args)
    {
        byte[] input = File.ReadAllBytes(Path.Combine(SeriesDir, file));
        GuardsRuns.AssertSame(args, input);
        GuardsRuns.AssertSame([.. args, "--config=" + Path.Combine(SeriesDir, file)], []);
    }

    [Fact]
    public void Real_series_checks_against_a_patch_tree_like_the_reference()
    {
        byte[] series = File.ReadAllBytes(Path.Combine(SeriesDir, "series.conf"));
        var names = GuardedList.Parse(ByteText.FromBytes(series)).Select(e => ByteText.ToUnicode(e.Name)).ToList();
        Assert.True(names.Count > 1000, $"series.conf lists only {names.Count} patches");
        using var tree = TestPaths.TempDir("kpk-guards-tree");
        // Every patch but each 50th exists, and some files exist that the series does not name.
        for (int i = 0; i < names.Count; i++)
        {
            if (i % 50 == 7) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(tree[names[i]])!);
            File.WriteAllText(tree[names[i]], "");
        }
        foreach (string extra in new[] { "patches.suse/unlisted.patch", "patches.rpmify/also-unlisted", "patches.kernel.org/x~" })
            File.WriteAllText(tree[extra], "");
        string dirs = string.Join(':', names.Select(n => n.Split('/')[0]).Distinct());
        File.WriteAllLines(tree["list"], names.Take(500).Select(n => "./" + n));
        File.Copy(Path.Combine(SeriesDir, "series.conf"), tree["series.conf"]);

        foreach (var args in new[]
                 {
                     new[] { "--check", "--path=" + dirs }, new[] { "--check", "--config=series.conf", "--path=" + dirs },
                     new[] { "--check", "--path=@list", "--prefix=./" }, new[] { "--check", "--path=@list", "--prefix=." }, new[] { "--check" },
                 })
            GuardsRuns.AssertSame(args, series, tree.Path);
    }
}
