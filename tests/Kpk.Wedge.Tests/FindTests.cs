using Xunit;

namespace Kpk.Wedge.Tests;

/// <summary>find-dups and find-unpackaged against the reference.</summary>
public class FindTests
{
    private const string Kernel = Scenarios.Version + "-amd64";

    /// <summary>Package directories as copy-modules leaves them, with duplicates between them.</summary>
    private static void Packages(WedgeFixture f)
    {
        Scenarios.Standard(f);
        string mods = $"lib/modules/{Kernel}";
        f.Write($"work/debian/kernel-image-{Kernel}-di/boot/vmlinuz", "image");
        f.Write($"work/debian/kernel-image-{Kernel}-di/{mods}/modules.builtin", "");
        f.Write($"work/debian/kernel-image-{Kernel}-di/{mods}/modules.order", "");
        f.Modules($"work/debian/core-modules-{Kernel}-di/{mods}", "kernel/fs/ext4/ext4.ko", "kernel/lib/libcrc32c.ko", "kernel/fs/mbcache.ko");
        f.Modules($"work/debian/crc-modules-{Kernel}-di/{mods}", "kernel/lib/libcrc32c.ko", "kernel/lib/crc-itu-t.ko");
        f.Modules($"work/debian/nic-modules-{Kernel}-di/{mods}", "kernel/drivers/net/mii.ko", "kernel/lib/libcrc32c.ko");
        f.Modules($"work/debian/scsi-modules-{Kernel}-di/usr/{mods}", "kernel/drivers/scsi/sd_mod.ko", "kernel/fs/mbcache.ko");
        f.Write($"work/debian/scsi-modules-{Kernel}-di/{mods}/kernel/fs/ext4/ext4.ko", "ignored: usr/lib/modules wins");
        f.Link($"work/debian/nic-modules-{Kernel}-di/{mods}/kernel/fs/mbcache.ko", "../../kernel/lib/libcrc32c.ko"); // links are not files
        f.Modules($"work/debian/other-modules-9.9-amd64-di/{mods}", "kernel/fs/ext4/ext4.ko");
        f.Modules($"work/debian/.hidden-modules-{Kernel}-di/lib/modules/{Kernel}", "kernel/fs/ext4/ext4.ko");
    }

    [Fact]
    public void Duplicates_match_the_reference()
    {
        using var pair = new FixturePair(Packages);
        var o = pair.AssertSame("find-dups", Kernel);
        Assert.Equal(1, o.Exit);
        Assert.Contains($"debian/nic-modules-{Kernel}-di lib/modules/{Kernel}/kernel/lib/libcrc32c.ko\n", o.Out);
        Assert.DoesNotContain("mbcache", o.Out); // under lib/ in one package, usr/lib/ in the other: different files
        Assert.Equal("some modules are in more than one package\n", o.Err);
    }

    [Theory]
    [InlineData("ignore-dups", null)]
    [InlineData(null, "1")]
    [InlineData(null, "0")] // find-dups only asks for a non-empty value
    public void Duplicates_can_be_tolerated(string? file, string? nonFatal)
    {
        using var pair = new FixturePair(f =>
        {
            Packages(f);
            if (file != null) f.Write($"cfg/{file}", "");
        });
        var o = pair.AssertSame(["find-dups", Kernel], new Dictionary<string, string?> { ["KW_CHECK_NONFATAL"] = nonFatal });
        Assert.Equal(0, o.Exit);
    }

    [Fact]
    public void No_duplicates()
    {
        using var pair = new FixturePair(f =>
        {
            Packages(f);
            f.Delete($"work/debian/nic-modules-{Kernel}-di");
            f.Delete($"work/debian/crc-modules-{Kernel}-di");
            f.Delete($"work/debian/scsi-modules-{Kernel}-di");
        });
        var o = pair.AssertSame("find-dups", Kernel);
        Assert.Equal("", o.Out + o.Err);
    }

    [Fact]
    public void Unpackaged_modules_match_the_reference()
    {
        using var pair = new FixturePair(Packages);
        var o = pair.AssertSame("find-unpackaged", Kernel, Scenarios.Installed);
        Assert.StartsWith($"These modules from {Kernel} are unpackaged:\n\t\textra/mii.ko\n", o.Out);
        Assert.Contains("\t\tkernel/drivers/usb/host/xhci-pci.ko\n", o.Out);
        Assert.DoesNotContain("\t\tkernel/fs/ext4/ext4.ko\n", o.Out);
    }

    [Fact]
    public void Unpackaged_after_a_real_split()
    {
        using var pair = new FixturePair(Scenarios.Standard);
        pair.AssertSame("copy-modules", Scenarios.Version, "amd64", Scenarios.Installed);
        pair.AssertSame("find-unpackaged", Kernel, Scenarios.Installed);
        pair.AssertSame("copy-modules", Scenarios.Version, "cloud-amd64", Scenarios.CloudInstalled);
        pair.AssertSame("find-unpackaged", Scenarios.CloudInstalled, Scenarios.CloudInstalled);
        // find-dups needs the kernel-image package directory in the reference (install-files makes it).
        foreach (var f in new[] { pair.Reference, pair.Ours })
            f.Write($"work/debian/kernel-image-{Kernel}-di/lib/modules/{Kernel}/modules.builtin", "");
        var dups = pair.AssertSame("find-dups", Kernel);
        // Each pair: the package later in sort order first.
        Assert.Contains($"debian/scsi-modules-{Kernel}-di lib/modules/{Kernel}/kernel/drivers/scsi/sd_mod.ko\n" +
                        $"debian/extra-modules-{Kernel}-di lib/modules/{Kernel}/kernel/drivers/scsi/sd_mod.ko\n", dups.Out);
    }

    [Fact]
    public void No_module_directory_is_an_error()
    {
        using var pair = new FixturePair(Packages);
        var (r, o) = pair.Run(["find-unpackaged", "9.9-amd64", "9.9-amd64"]);
        Assert.Equal(2, r.Exit);
        Assert.Equal(2, o.Exit);
        Assert.Contains("No source modules directory found", r.Err);
        Assert.Contains("No source modules directory found", o.Err);
        Assert.Equal("", o.Out);
    }
}
