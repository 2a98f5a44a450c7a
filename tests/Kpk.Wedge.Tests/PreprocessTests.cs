using Xunit;

namespace Kpk.Wedge.Tests;

/// <summary>preprocess against the reference: includes, optional and removed entries, wildcards, built-ins, errors.</summary>
public class PreprocessTests
{
    private static FixturePair Standard(Action<WedgeFixture>? more = null) => new(f =>
    {
        Scenarios.Configuration(f);
        Scenarios.ModuleTree(f);
        more?.Invoke(f);
    });

    private static Outcome Same(FixturePair pair, string list, IReadOnlyDictionary<string, string?>? env = null, string moduleDir = Scenarios.ModDir)
    {
        var (r, o) = RunBoth(pair, list, env, moduleDir);
        Assert.True(r.Exit == o.Exit, $"reference: {r}\nkpk: {o}");
        Assert.Equal(r.Out, o.Out);
        Assert.Equal(r.Err, o.Err);
        return o;
    }

    private static (Outcome Reference, Outcome Ours) RunBoth(FixturePair pair, string list,
        IReadOnlyDictionary<string, string?>? env = null, string moduleDir = Scenarios.ModDir)
    {
        Outcome Run(WedgeFixture f, Func<string, IReadOnlyDictionary<string, string>, string[], Outcome> tool) =>
            FixturePair.Normalize(tool(f.Work, Env(f, env), ["preprocess", f[list], f[moduleDir]]), f);
        return (Run(pair.Reference, Tools.Reference), Run(pair.Ours, Tools.Kpk));
    }

    private static Dictionary<string, string> Env(WedgeFixture f, IReadOnlyDictionary<string, string?>? changes)
    {
        var env = f.Env;
        if (changes != null)
            foreach (var (k, v) in changes)
                if (v == null) env.Remove(k); else env[k] = v;
        return env;
    }

    [Theory]
    [InlineData("core-modules")]
    [InlineData("nic-modules")]
    [InlineData("scsi-modules")]
    [InlineData("usb-modules")]
    [InlineData("crc-modules")]
    [InlineData("extra-modules")]
    [InlineData("kernel-image")]
    [InlineData("fb-modules")]
    public void Lists_of_the_standard_configuration(string list)
    {
        using var pair = Standard();
        Same(pair, $"cfg/modules/amd64/{list}");
    }

    [Fact]
    public void Includes_removals_and_wildcards_expand_as_in_the_reference()
    {
        using var pair = Standard();
        var o = Same(pair, "cfg/modules/amd64/nic-modules");
        Assert.Equal("""
            kernel/drivers/net/ethernet/intel/e1000/e1000.ko
            kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko
            kernel/drivers/net/ethernet/realtek/r8169.ko
            kernel/drivers/net/mii.ko
            kernel/drivers/net/phy/realtek.ko
            updates/dkms/vendor-nic.ko

            """, o.Out);
    }

    [Theory]
    [InlineData("drivers/scsi/*")]                // one component
    [InlineData("kernel/drivers/**")]             // across components
    [InlineData("drivers/**/*_core*")]            // - and _ alike, under kernel/
    [InlineData("drivers/net/ethernet/*/?8169")]  // ? is one character
    [InlineData("kernel/drivers/net/mii")]        // a path without wildcards
    [InlineData("mii")]                           // kernel/ before extra/
    [InlineData("usb_common")]                    // - and _ alike in a plain name
    [InlineData("vendor-nic")]                    // outside kernel/
    [InlineData("*")]                             // nothing at the top
    [InlineData("**")]                            // everything
    [InlineData("sr_mod")]                        // compressed module
    [InlineData("usb-storage")]                   // built in: found, but no file
    [InlineData("usb_storage -")]                 // removing something not there
    [InlineData("**\ndrivers/usb/** -\next4 -")] // removals in order
    [InlineData("ext4 -\next4")]                  // ...and adding back
    [InlineData("  e1000  \n\n# comment\n\t#include_not <x>")]
    [InlineData("e1000 ?\nmissing-thing ?\n-gone-too")]
    [InlineData("drivers/nonexistent/* ?")]       // optional: a missing directory is fine
    [InlineData("nonexistent/**  -")]
    public void Patterns(string list)
    {
        using var pair = Standard(f => f.Write("cfg/modules/amd64/test", list));
        Same(pair, "cfg/modules/amd64/test");
    }

    [Theory]
    [InlineData("e1000\nnot-a-module\nalso_missing", null)]
    [InlineData("e1000\nnot-a-module", "1")]
    [InlineData("e1000\nnot-a-module", "0")] // "0" is false to perl
    [InlineData("e1000\nnot-a-module\nnot-a-module -", null)] // removed again: no longer missing
    public void Missing_modules(string list, string? nonFatal)
    {
        using var pair = Standard(f => f.Write("cfg/modules/amd64/test", list));
        var (r, o) = RunBoth(pair, "cfg/modules/amd64/test", new Dictionary<string, string?> { ["KW_CHECK_NONFATAL"] = nonFatal });
        Assert.True(r.Exit == o.Exit, $"reference: {r}\nkpk: {o}");
        Assert.Equal(r.Out, o.Out);
        // The reference lists missing modules in perl's hash order, which changes from run to run; kpk sorts them.
        Assert.Equal(Sorted(r.Err), o.Err);
    }

    private static string Sorted(string lines) =>
        string.Concat(lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).Select(l => l + "\n"));

    [Fact]
    public void A_missing_directory_is_reported_and_tolerated_with_KW_CHECK_NONFATAL()
    {
        using var pair = Standard(f => f.Write("cfg/modules/amd64/test", "drivers/nonexistent/*\ne1000"));
        var o = Same(pair, "cfg/modules/amd64/test", new Dictionary<string, string?> { ["KW_CHECK_NONFATAL"] = "yes" });
        Assert.Equal("pattern drivers/nonexistent/* refers to nonexistent subdirectory\n", o.Err);
    }

    [Fact]
    public void A_missing_directory_is_fatal()
    {
        using var pair = Standard(f => f.Write("cfg/modules/amd64/test", "e1000\ndrivers/nonexistent/*"));
        var (r, o) = RunBoth(pair, "cfg/modules/amd64/test");
        Assert.Equal(1, r.Exit);
        Assert.Equal(1, o.Exit);
        Assert.Contains("pattern drivers/nonexistent/* refers to nonexistent subdirectory", r.Err);
        Assert.Equal("kpk: $ROOT/cfg/modules/amd64/test:2: pattern drivers/nonexistent/* refers to nonexistent subdirectory\n", o.Err);
        Assert.Equal("", o.Out);
    }

    [Fact]
    public void An_unreadable_include_is_fatal()
    {
        using var pair = Standard(f => f.Write("cfg/modules/amd64/test", "e1000\n#include \"nowhere\""));
        var (r, o) = RunBoth(pair, "cfg/modules/amd64/test");
        Assert.Equal(1, r.Exit);
        Assert.Equal(1, o.Exit);
        Assert.Equal("cannot read $ROOT/cfg/modules/amd64/nowhere\n", r.Err);
        Assert.Equal("kpk: cannot read $ROOT/cfg/modules/amd64/nowhere (included from $ROOT/cfg/modules/amd64/test:2): No such file or directory\n", o.Err);
    }

    [Fact]
    public void Missing_arguments_exit_2()
    {
        using var pair = Standard();
        var (r, o) = pair.Run(["preprocess", "only-one"]);
        Assert.Equal(2, r.Exit);
        Assert.Equal(2, o.Exit);
    }

    [Fact]
    public void A_symlinked_module_directory_is_followed()
    {
        using var pair = Standard(f => f.Link("linked-tree", f[Scenarios.ModDir]));
        Same(pair, "cfg/modules/amd64/nic-modules", moduleDir: "linked-tree");
        Same(pair, "cfg/modules/amd64/usb-modules", moduleDir: "linked-tree");
    }

    [Fact]
    public void A_directory_reached_twice_is_refused()
    {
        using var pair = Standard(f => f.Link($"{Scenarios.ModDir}/kernel/drivers/linked-net", "net"));
        var (r, o) = RunBoth(pair, "cfg/modules/amd64/nic-modules");
        Assert.Equal(255, r.Exit);
        Assert.Equal(255, o.Exit);
        Assert.Contains("encountered a second time", r.Err);
        Assert.Contains("reaches this directory a second time", o.Err);
        Assert.Equal("", o.Out);
    }
}
