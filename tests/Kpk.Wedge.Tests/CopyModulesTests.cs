using Xunit;

namespace Kpk.Wedge.Tests;

/// <summary>copy-modules against the reference: the debian/ trees must be the same, file for file.</summary>
public class CopyModulesTests
{
    private static readonly string[] Amd64 = ["copy-modules", Scenarios.Version, "amd64", Scenarios.Installed];
    private static readonly string[] Cloud = ["copy-modules", Scenarios.Version, "cloud-amd64", Scenarios.CloudInstalled];

    [Fact]
    public void The_split_matches_the_reference()
    {
        using var pair = new FixturePair(Scenarios.Standard);
        pair.AssertSame(Amd64);

        // What the comparison covered: modules pulled in by dependencies, shared ones in each
        // package that needs them, none where a package depended on holds them.
        string nic = pair.Ours[$"work/debian/nic-modules-{Scenarios.Version}-amd64-di/lib/modules/{Scenarios.Installed}"];
        Assert.True(File.Exists($"{nic}/kernel/drivers/net/phy/realtek.ko"));
        Assert.False(File.Exists($"{nic}/kernel/drivers/net/phy/libphy.ko")); // in nic-shared-modules
        Assert.False(File.Exists($"{nic}/kernel/lib/crc-itu-t.ko")); // in crc-modules
        string core = pair.Ours[$"work/debian/core-modules-{Scenarios.Version}-amd64-di/lib/modules/{Scenarios.Installed}"];
        Assert.True(File.Exists($"{core}/kernel/lib/libcrc32c.ko")); // needed by ext4, core does not depend on crc
        string scsi = pair.Ours[$"work/debian/scsi-modules-{Scenarios.Version}-amd64-di/lib/modules/{Scenarios.Installed}"];
        Assert.True(File.Exists($"{scsi}/kernel/drivers/scsi/scsi_mod.ko")); // removed from the list, needed all the same
        Assert.False(Directory.Exists(pair.Ours[$"work/debian/usb-modules-{Scenarios.Version}-amd64-di"])); // not in debian/control
        Assert.False(Directory.Exists(pair.Ours[$"work/debian/fb-modules-{Scenarios.Version}-amd64-di"])); // no modules
        Assert.Equal($"#!/bin/sh -e\ndepmod {Scenarios.Installed}\n",
            File.ReadAllText(pair.Ours[$"work/debian/core-modules-{Scenarios.Version}-amd64-di.postinst"]));
    }

    [Fact]
    public void Modules_under_usr_lib_stay_there()
    {
        using var pair = new FixturePair(Scenarios.Standard);
        pair.AssertSame(Cloud);
        Assert.True(Directory.Exists(pair.Ours[$"work/debian/core-modules-{Scenarios.Version}-cloud-amd64-di/usr/lib/modules/{Scenarios.CloudInstalled}"]));
    }

    [Fact]
    public void Both_kernels_into_one_debian_directory()
    {
        using var pair = new FixturePair(Scenarios.Standard);
        pair.AssertSame(Amd64);
        pair.AssertSame(Cloud);
        pair.AssertSame(Amd64); // again over the result: nothing changes
    }

    [Fact]
    public void A_package_without_dependencies_between_its_lists()
    {
        using var pair = new FixturePair(f =>
        {
            Scenarios.Standard(f);
            f.Write("cfg/package-list", "Package: nic-modules\nDepends: kernel-image");
        });
        pair.AssertSame(Amd64);
    }

    [Fact]
    public void Relative_directories_start_where_the_command_runs()
    {
        using var pair = new FixturePair(Scenarios.Standard);
        pair.AssertSame(Amd64, new Dictionary<string, string?>
        {
            ["KW_DEFCONFIG_DIR"] = "../def", ["KW_CONFIG_DIR"] = "../cfg", ["SOURCEDIR"] = "../src", ["DEPMOD"] = "../bin/depmod",
        });
        Assert.True(Directory.Exists(pair.Ours[$"work/debian/nic-modules-{Scenarios.Version}-amd64-di"]));
    }

    [Fact]
    public void No_module_directory_means_nothing_to_do()
    {
        using var pair = new FixturePair(Scenarios.Standard);
        var o = pair.AssertSame("copy-modules", "9.9", "amd64", "9.9-amd64");
        Assert.Equal("", o.Out + o.Err);
        Assert.False(Directory.Exists(pair.Ours["work/debian"] + $"/core-modules-9.9-amd64-di"));
    }

    [Fact]
    public void No_dependencies_at_all_needs_the_no_modules_file()
    {
        using var pair = new FixturePair(f =>
        {
            Scenarios.Standard(f);
            f.Write($"{Scenarios.ModDir}/modules.dep", "kernel/fs/ext4/ext4.ko:\nkernel/fs/jbd2/jbd2.ko:");
        });
        var (r, o) = pair.Run(Amd64);
        Assert.Equal(1, r.Exit);
        Assert.Equal(1, o.Exit);
        string message = "No module interdependencies found. This probably means your modules.dep is broken.\n" +
                         "If this is intentional, touch $ROOT/cfg/no-modules\n";
        Assert.Equal(message, r.Err);
        Assert.Equal("kpk: " + message, o.Err);
        pair.AssertSameTree("work");

        pair.Reference.Write("cfg/no-modules", "");
        pair.Ours.Write("cfg/no-modules", "");
        pair.AssertSame(Amd64);
    }

    [Fact]
    public void A_list_without_a_package_template_still_takes_its_modules()
    {
        // nic-shared-modules has no template but is a list and is depended on: its modules leave nic-modules.
        using var pair = new FixturePair(f =>
        {
            Scenarios.Standard(f);
            f.Write("cfg/modules/amd64/orphan-modules", "snd");
        });
        pair.AssertSame(Amd64);
    }

    [Fact]
    public void Compressed_and_symlinked_modules_are_copied_as_they_are()
    {
        using var pair = new FixturePair(f =>
        {
            Scenarios.Standard(f);
            f.Link($"{Scenarios.ModDir}/kernel/drivers/scsi/sg.ko", "sd_mod.ko");
            f.Write("cfg/modules/amd64/scsi-modules", "sd_mod\nsr_mod\nsg");
        });
        pair.AssertSame(Amd64);
        var sg = new FileInfo(pair.Ours[$"work/debian/scsi-modules-{Scenarios.Version}-amd64-di/lib/modules/{Scenarios.Installed}/kernel/drivers/scsi/sg.ko"]);
        Assert.Equal("sd_mod.ko", sg.LinkTarget);
    }

    [Fact]
    public void A_missing_required_module_fails_and_writes_nothing()
    {
        using var pair = new FixturePair(f =>
        {
            Scenarios.Standard(f);
            f.Write("cfg/modules/amd64/usb-modules", "no-such-usb-driver");
        });
        var (r, o) = pair.Run(Amd64);
        Assert.Equal(1, r.Exit);
        Assert.Equal(1, o.Exit);
        Assert.Contains("missing module no-such-usb-driver\n", r.Err);
        Assert.StartsWith("missing module no-such-usb-driver\n", o.Err);
        // The reference has already filled the packages it handled before; kpk decides everything first.
        Assert.False(Directory.Exists(pair.Ours["work/debian"] + $"/core-modules-{Scenarios.Version}-amd64-di"));
    }

    [Fact]
    public void KW_CHECK_NONFATAL_lets_a_missing_module_pass()
    {
        using var pair = new FixturePair(f =>
        {
            Scenarios.Standard(f);
            f.Write("cfg/modules/amd64/usb-modules", "no-such-usb-driver\ndrivers/usb/host/*");
        });
        pair.AssertSame(Amd64, new Dictionary<string, string?> { ["KW_CHECK_NONFATAL"] = "1" });
    }
}
