using Kpk.Core;
using Kpk.Series.Taint;
using Kpk.Tests;
using Xunit;

namespace Kpk.Series.Tests.Taint;

/// <summary>SUSE's 2.6 layout (kernel-source README): U=bit 4, X=bit 5, machine check at bit 10, a four-letter Oops code.</summary>
public class EarlyLayoutTests
{
    [Theory]
    [InlineData(0UL, "Not tainted")]
    [InlineData(1UL << 4, "Tainted: G  U")]
    [InlineData(1UL << 5, "Tainted: G  X")]
    [InlineData((1UL << 4) | (1UL << 5), "Tainted: G  U")] // unsupported outweighs external
    [InlineData(1UL | 2 | 4, "Tainted: PFS ")]
    [InlineData(1UL << 10, "Tainted: G   ")] // the machine check has no column of its own
    public void The_oops_code_has_four_columns(ulong value, string line) =>
        Assert.Equal(line, TaintReport.Explain(value, SuseTaintLayout.Early).TaintedLine);

    [Fact]
    public void Bits_four_five_and_ten_mean_what_the_readme_says_and_upstreams_later_bits_are_unknown()
    {
        var report = TaintReport.Explain((1UL << 4) | (1UL << 5) | (1UL << 10) | (1UL << 9), SuseTaintLayout.Early);
        Assert.Equal([(4, 'U', "TAINT_NO_SUPPORT"), (5, 'X', "TAINT_EXTERNAL_SUPPORT"), (10, 'M', "TAINT_MACHINE_CHECK")],
            report.Flags.Select(f => (f.Bit, f.Letter, f.Name)));
        Assert.Equal([9], report.UnknownBits);
        Assert.Equal("No, Unsupported modules are loaded", report.Supported);
        Assert.Equal("Yes, External", TaintReport.Explain(1UL << 5, SuseTaintLayout.Early).Supported);
        // In the current layout bit 4 is upstream's machine check again.
        Assert.Equal("TAINT_MACHINE_CHECK", Assert.Single(TaintReport.Explain(1UL << 4, SuseTaintLayout.Current).Flags).Name);
    }

    [Theory]
    [InlineData("2.6.5-7.97-default", SuseTaintLayout.Early)]
    [InlineData("2.6.16.60-0.21-smp", SuseTaintLayout.Early)]
    [InlineData("2.6.25", SuseTaintLayout.Legacy)]
    [InlineData("2.6.27.19-5-default", SuseTaintLayout.Legacy)]
    [InlineData("4.12.14-122.37-default", SuseTaintLayout.Legacy)]
    [InlineData("5.3.18-57-default", SuseTaintLayout.Current)]
    [InlineData("6.4.0-150600.21-default", SuseTaintLayout.Current)]
    public void The_layout_follows_the_release(string release, SuseTaintLayout layout) =>
        Assert.Equal(layout, SuseTaintLayoutOf.Release(release));

    [Fact]
    public void The_cli_chooses_the_layout_by_release_and_refuses_a_release_without_a_version()
    {
        var early = KpkProcess.Run("taint", "16", "--release", "2.6.16.60-0.21-smp");
        Assert.Equal(0, early.Exit);
        Assert.Contains("Tainted: G  U", early.Out);
        Assert.Contains("[SUSE TAINT_NO_SUPPORT]", early.Out);
        var current = KpkProcess.Run("taint", "16", "--release", "6.4.0-150600.21-default");
        Assert.Contains("bit  4  M", current.Out);
        Assert.DoesNotContain("TAINT_NO_SUPPORT", current.Out);
        var bad = KpkProcess.Run("taint", "16", "--release", "default");
        Assert.NotEqual(0, bad.Exit);
        Assert.Contains("kernel release 'default' does not start with a version", bad.Err);
        Assert.IsType<KpkException>(Record.Exception(() => SuseTaintLayoutOf.Release("x")));
    }
}
