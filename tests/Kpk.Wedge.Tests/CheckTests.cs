using Xunit;

namespace Kpk.Wedge.Tests;

/// <summary>check against the reference (whose package list comes from dh_listpackages -s).</summary>
public class CheckTests
{
    [Fact]
    public void Every_package_empty_before_the_split_and_some_after()
    {
        using var pair = new FixturePair(Scenarios.Standard);
        var before = SameVerdicts(pair, ["check"]);
        Assert.Equal(1, before.Exit);
        Assert.Contains($"core-modules-{Scenarios.Version}-amd64-di will be empty\n", before.Err);
        Assert.DoesNotContain("kernel-wedge-docs", before.Err); // Architecture: all
        Assert.DoesNotContain("armmp", before.Err); // another architecture

        pair.AssertSame("copy-modules", Scenarios.Version, "amd64", Scenarios.Installed);
        var after = SameVerdicts(pair, ["check"]);
        Assert.DoesNotContain($"core-modules-{Scenarios.Version}-amd64-di will be empty", after.Err);
        Assert.Contains($"fb-modules-{Scenarios.Version}-amd64-di will be empty\n", after.Err);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("1")]
    [InlineData("0")] // any non-empty value
    public void Named_packages(string? nonFatal)
    {
        using var pair = new FixturePair(f =>
        {
            Scenarios.Control(f);
            f.Write("work/debian/full/usr/share/doc/full/copyright", "text");
            f.Mkdir("work/debian/empty-dirs/usr/share/doc");
            f.Link("work/debian/only-link/file", "/etc/hostname");
        });
        // find's own complaint about the absent directory is not repeated by kpk; the verdicts are the same.
        var o = SameVerdicts(pair, ["check", "full", "empty-dirs", "absent", "only-link"], new Dictionary<string, string?> { ["KW_CHECK_NONFATAL"] = nonFatal });
        Assert.Equal("empty-dirs will be empty\nabsent will be empty\nonly-link will be empty\n", o.Err);
        Assert.Equal(nonFatal == null ? 1 : 0, o.Exit);
    }

    [Theory]
    [InlineData("linux-any", null)]
    [InlineData("any-amd64", null)]
    [InlineData("any-i386 kfreebsd-any", null)]
    [InlineData("armhf amd64", null)]
    [InlineData("any", null)]
    [InlineData("amd64", "noudeb")]
    public void Architectures_and_build_profiles_choose_the_packages(string architecture, string? profiles)
    {
        using var pair = new FixturePair(f => f.Write("work/debian/control", $"""
            Source: test
            Build-Depends: debhelper-compat (= 11)

            Package: chosen
            Architecture: {architecture}

            Package: profiled
            Architecture: amd64
            Build-Profiles: <!noudeb>
            Package-Type: udeb

            Package: x32-only
            Architecture: x32 armel
            """));
        var o = SameVerdicts(pair, ["check"], new Dictionary<string, string?> { ["DEB_BUILD_PROFILES"] = profiles });
        bool matchesAmd64 = architecture != "any-i386 kfreebsd-any";
        Assert.Equal(matchesAmd64, o.Err.Contains("chosen will be empty"));
    }

    [Fact]
    public void Without_debian_control()
    {
        using var pair = new FixturePair(f => f.Mkdir("work"));
        var (r, o) = pair.Run(["check"]);
        Assert.Equal(r.Exit, o.Exit);
        Assert.Contains("debian/control", o.Err);
    }

    [Fact]
    public void Compatibility_level_12_and_later_work_too()
    {
        // The reference runs "dh_listpackages -s", which debhelper refuses from level 12 on, so its
        // check without package names always fails there; kpk lists the packages all the same.
        using var pair = new FixturePair(f =>
        {
            Scenarios.Control(f);
            f.Write("work/debian/control", File.ReadAllText(f["work/debian/control"]).Replace("debhelper-compat (= 11)", "debhelper-compat (= 13)"));
        });
        var (r, o) = pair.Run(["check"]);
        Assert.Equal(25, r.Exit);
        Assert.Contains("This feature was removed in compat 12", r.Err);
        Assert.Equal(1, o.Exit);
        Assert.Contains($"core-modules-{Scenarios.Version}-amd64-di will be empty\n", o.Err);
    }

    /// <summary>
    /// Runs check in both and compares exit codes and verdicts; the reference's stderr also carries
    /// dh_listpackages' and find's own warnings, which kpk has no cause to print.
    /// </summary>
    private static Outcome SameVerdicts(FixturePair pair, string[] args, IReadOnlyDictionary<string, string?>? env = null)
    {
        var (r, o) = pair.Run(args, env);
        Assert.True(r.Exit == o.Exit, $"reference: {r}\nkpk: {o}");
        Assert.Equal(r.Out, o.Out);
        Assert.Equal(Verdicts(r.Err), Verdicts(o.Err));
        Assert.Equal(Verdicts(o.Err), o.Err);
        return o;
    }

    private static string Verdicts(string err) =>
        string.Concat(err.Split('\n').Where(l => l.EndsWith(" will be empty")).Select(l => l + "\n"));
}
