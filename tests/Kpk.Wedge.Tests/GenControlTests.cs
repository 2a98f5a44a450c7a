using Xunit;

namespace Kpk.Wedge.Tests;

/// <summary>gen-control against the reference: stanzas, field order, variants, Section, forced depends, stub, errors.</summary>
public class GenControlTests
{
    [Fact]
    public void Stanzas_match_the_reference_for_every_kernel_and_list()
    {
        using var pair = new FixturePair(Scenarios.Configuration);
        var outcome = pair.AssertSame("gen-control");
        // The comparison means something only if the interesting cases are in the output.
        Assert.Contains("Package: nic-modules-6.1.0-9-amd64-di\n", outcome.Out);
        Assert.Contains("Depends: kernel-image-6.1.0-9-amd64-di, core-modules-6.1.0-9-amd64-di, firmware-modules-6.1.0-9-amd64-di\n", outcome.Out);
        Assert.Contains("Package: cloud-extra-modules-6.1.0-9-cloud-amd64-di\n", outcome.Out);
        Assert.Contains("Priority: extra\n", outcome.Out);
        Assert.Contains("Depends: missing-one, also-missing\n", outcome.Out); // the reference's fallback when every dependency is dropped
        Assert.DoesNotContain("fb-modules-6.1.0-9-cloud-amd64-di", outcome.Out); // excluded
        Assert.DoesNotContain("sound-modules", outcome.Out);
        Assert.Contains("Package: nic-modules-6.1.0-9-armmp-di\n", outcome.Out);
    }

    [Fact]
    public void A_version_on_the_command_line_replaces_the_files()
    {
        using var pair = new FixturePair(f =>
        {
            Scenarios.Configuration(f);
            f.Write("cfg/kernel-versions", "amd64 - amd64 - - -\narmhf 6.0 armmp - - -");
        });
        pair.AssertSame("gen-control", "6.2.0-1");
    }

    [Fact]
    public void Build_dependencies_bring_the_stub_first()
    {
        using var pair = new FixturePair(f =>
        {
            Scenarios.Configuration(f);
            f.Write("cfg/kernel-versions", """
                amd64 6.1.0-9 amd64 6.1.0-9-amd64 - linux-image-6.1.0-9-amd64, linux-headers-6.1.0-9-amd64
                armhf 6.1.0-9 armmp - - linux-image-6.1.0-9-armmp
                """);
            f.Write("work/debian/control.stub", "Source: linux-kernel-di-amd64\nSection: debian-installer\nBuild-Depends: kernel-wedge\nMaintainer: Someone <x@example.org>");
        });
        var o = pair.AssertSame("gen-control");
        Assert.StartsWith("Source: linux-kernel-di-amd64\n", o.Out);
        Assert.Contains("Build-Depends: kernel-wedge, linux-image-6.1.0-9-amd64 [amd64], linux-headers-6.1.0-9-amd64 [amd64], linux-image-6.1.0-9-armmp [armhf]\n", o.Out);
    }

    [Fact]
    public void The_configuration_may_be_the_default_configuration()
    {
        using var pair = new FixturePair(Scenarios.Configuration);
        pair.AssertSame(["gen-control"], new Dictionary<string, string?> { ["KW_DEFCONFIG_DIR"] = "$ROOT/cfg" });
    }

    [Fact]
    public void Without_KW_CONFIG_DIR_the_current_directory_is_the_configuration()
    {
        using var pair = new FixturePair(f =>
        {
            Scenarios.Configuration(f);
            f.Write("work/kernel-versions", "amd64 1.0 amd64 - - -");
            f.Write("work/package-list", "Package: kernel-image\nDescription: from the current directory");
            f.Write("work/modules/amd64/kernel-image", "");
        });
        var o = pair.AssertSame(["gen-control"], new Dictionary<string, string?> { ["KW_CONFIG_DIR"] = null });
        Assert.Contains("Package: kernel-image-1.0-amd64-di\n", o.Out);
    }

    [Theory]
    [InlineData("no-kernel-versions", "kernel-versions: No such file or directory")]
    [InlineData("version-unset", "kernel version not set in file or on command line")]
    [InlineData("short-line", "parse error")]
    [InlineData("unknown-field", "unknown field, Maintainer")]
    [InlineData("no-stub", "debian/control.stub: No such file or directory")]
    [InlineData("no-package-list", "package-list: No such file or directory")]
    [InlineData("no-defconfig", "Required environment variable $KW_DEFCONFIG_DIR is not defined")]
    public void Bad_input_fails_as_the_reference_fails(string problem, string message)
    {
        Dictionary<string, string?>? env = null;
        using var pair = new FixturePair(f =>
        {
            Scenarios.Configuration(f);
            switch (problem)
            {
                case "no-kernel-versions": f.Delete("cfg/kernel-versions"); break;
                case "version-unset": f.Write("cfg/kernel-versions", "amd64 - amd64 - - -"); break;
                case "short-line": f.Write("cfg/kernel-versions", "amd64 6.1\n"); break;
                case "unknown-field": f.Write("cfg/package-list", "Package: x\nMaintainer: y"); break;
                case "no-stub": f.Write("cfg/kernel-versions", "amd64 1 amd64 - - linux-image-1-amd64"); break;
                case "no-package-list": f.Delete("def/package-list"); break;
            }
        });
        if (problem == "no-defconfig") env = new() { ["KW_DEFCONFIG_DIR"] = null };
        var (r, o) = pair.Run(["gen-control"], env);
        Assert.Equal(r.Exit, o.Exit);
        Assert.NotEqual(0, o.Exit);
        Assert.Contains(message, r.Err);
        Assert.Contains(message, o.Err);
        Assert.Equal("", o.Out); // nothing half-written
        Assert.StartsWith("kpk: ", o.Err);
        Assert.DoesNotContain("   at ", o.Err); // no stack trace
    }
}
