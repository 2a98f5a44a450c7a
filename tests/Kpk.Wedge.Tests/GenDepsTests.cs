using Xunit;

namespace Kpk.Wedge.Tests;

/// <summary>gen-deps against the reference.</summary>
public class GenDepsTests
{
    [Theory]
    [InlineData("amd64", "amd64")]
    [InlineData("amd64", "cloud-amd64")]
    [InlineData("armhf", "armmp")]
    [InlineData("amd64", "no-such-flavour")]
    public void Pairs_match_the_reference(string arch, string flavour)
    {
        using var pair = new FixturePair(Scenarios.Configuration);
        var o = pair.AssertSame(["gen-deps", flavour], new Dictionary<string, string?> { ["DEB_HOST_ARCH"] = arch });
        if (flavour == "amd64")
        {
            Assert.Contains("nic-modules\tnic-shared-modules\n", o.Out);
            Assert.DoesNotContain("firmware-modules", o.Out); // forced, but has no list
        }
        if (arch == "armhf") Assert.Equal("nic-modules\tkernel-image\n", o.Out); // Depends_armhf
    }

    [Fact]
    public void Without_a_flavour_the_modules_directory_itself_holds_the_lists()
    {
        // An empty flavour makes "modules/FLAVOUR" the modules directory itself, so lists there count.
        using var pair = new FixturePair(f =>
        {
            Scenarios.Configuration(f);
            f.Write("cfg/modules/kernel-image", "");
            f.Write("cfg/modules/nic-modules", "");
        });
        // The reference also warns about the undefined flavour on stderr; only the pairs matter.
        var o = pair.AssertSame(["gen-deps"], null, compareStderr: false);
        Assert.Equal("nic-modules\tkernel-image\n", o.Out);
    }

    [Fact]
    public void A_variant_Package_name_replaces_the_pairs_of_an_earlier_template()
    {
        using var pair = new FixturePair(f =>
        {
            Scenarios.Configuration(f);
            f.Write("cfg/package-list", """
                Package: scsi-core-modules
                Package_amd64: core-modules
                Depends: crc-modules, kernel-image
                """);
        });
        var o = pair.AssertSame("gen-deps", "amd64");
        Assert.Contains("core-modules\tcrc-modules\n", o.Out);
    }
}
