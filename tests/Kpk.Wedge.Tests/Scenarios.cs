namespace Kpk.Wedge.Tests;

/// <summary>
/// Fixtures shaped like a real kernel-wedge setup: Debian's default package templates trimmed
/// down, a configuration that overrides some and adds its own, per-flavour module list
/// directories, and module trees whose modules.dep makes packages share and pull modules.
/// </summary>
public static class Scenarios
{
    public const string Version = "6.1.0-9";
    public const string Installed = Version + "-amd64";
    public const string CloudInstalled = Version + "-cloud-amd64";
    public const string ModDir = "src/lib/modules/" + Installed;
    public const string CloudModDir = "src/usr/lib/modules/" + CloudInstalled;

    /// <summary>Everything: configuration, both amd64 kernels' trees and images, debian/control.</summary>
    public static void Standard(WedgeFixture f)
    {
        Configuration(f);
        ModuleTree(f);
        CloudTree(f);
        Images(f);
        Control(f);
    }

    public static void Configuration(WedgeFixture f)
    {
        f.Write("def/package-list", """
            # Default templates, as KW_DEFCONFIG_DIR/package-list holds them.
            Package: kernel-image
            Provides: kernel-image-provides
            Description: Linux kernel binary image for the Debian installer
             This package contains the kernel image
             .
             and nothing else.

            Package: core-modules
            Depends: kernel-image
            Priority: standard
            Description: Core modules

            Package: nic-modules
            Depends: kernel-image, core-modules, crc-modules, nic-shared-modules
            Depends_armhf: kernel-image
            Priority: standard
            Description: Common NIC drivers

            Package: scsi-modules
            Depends: kernel-image, core-modules, firmware-modules!
            Section: debian-installer
            Description: SCSI drivers

            Package: usb-modules
            Depends: kernel-image
            Section: other
            Description: USB support

            Package: crc-modules
            Depends: kernel-image
            Priority_cloud-amd64: extra
            Description: CRC modules

            Package: fb-modules
            Depends: missing-one, also-missing
            Description: frame buffer

            Package: sound-modules
            Depends: kernel-image
            Description: no list anywhere, so never generated
            """);
        f.Write("def/modules/nic-common", """
            # shared with every architecture
            drivers/net/ethernet/**
            """);
        f.Write("cfg/package-list", """
            # Overrides for this configuration.
            Package: usb-modules
            Priority: optional
            Description_amd64: USB support (amd64)

            Package: extra-modules
            Depends: kernel-image, core-modules
            Provides: site-extras
            Package_cloud-amd64: cloud-extra-modules
            Section: local/debian-installer
            Description: Site extras
            """);
        f.Write("cfg/kernel-versions", $"""
            # arch   version  flavour       installedname  suffix  build-depends
            amd64    {Version}  amd64         -              -       -
            amd64    {Version}  cloud-amd64   -              y       -
            armhf    {Version}  armmp         -              -foo    -
            """);
        f.Write("cfg/exclude-packages", $"fb-modules-{Version}-cloud-amd64-di");

        const string lists = "cfg/modules/amd64";
        f.Write($"{lists}/kernel-image", "# no modules in the image package");
        f.Write($"{lists}/core-modules", """
            ext4
            jbd2 ?
            mbcache
            nonexistent-thing ?
            -also-not-there
            vfat
            """);
        f.Write($"{lists}/crc-modules", """
            libcrc32c
            crc-itu-t
            """);
        f.Write($"{lists}/nic-modules", """
            #include <nic-common>
              #include "../../includes/nic-extra"
            8139too -
            vendor_nic
            """);
        f.Write("cfg/includes/nic-extra", """
            mii
            drivers/net/phy/realtek*
            """);
        f.Write($"{lists}/nic-shared-modules", "drivers/net/phy/libphy");
        f.Write($"{lists}/scsi-modules", """
            sd_mod
            sr-mod
            libata_core
            scsi_mod -
            """);
        f.Write($"{lists}/usb-modules", """
            drivers/usb/**
            usb-storage
            """);
        f.Write($"{lists}/fb-modules", "fbdev-missing ?");
        f.Write($"{lists}/extra-modules", "drivers/scsi/s?_mod*");
        f.Write($"{lists}/notes.lnk", "not a module list: *.lnk files are skipped");

        const string cloud = "cfg/modules/amd64-cloud-amd64";
        f.Write($"{cloud}/kernel-image", "");
        f.Write($"{cloud}/core-modules", "ext4\nvirtio*");
        f.Write($"{cloud}/crc-modules", "libcrc32c");
        f.Write($"{cloud}/cloud-extra-modules", "drivers/net/virtio_net");
        f.Write($"{cloud}/fb-modules", "");

        f.Write("cfg/modules/armmp/kernel-image", "");
        f.Write("cfg/modules/armmp/nic-modules", "smsc95xx");
    }

    public static void ModuleTree(WedgeFixture f)
    {
        f.Modules(ModDir,
            "kernel/drivers/net/ethernet/intel/e1000/e1000.ko",
            "kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko",
            "kernel/drivers/net/ethernet/realtek/8139too.ko",
            "kernel/drivers/net/ethernet/realtek/r8169.ko",
            "kernel/drivers/net/mii.ko",
            "kernel/drivers/net/phy/libphy.ko",
            "kernel/drivers/net/phy/realtek.ko",
            "kernel/drivers/scsi/sd_mod.ko",
            "kernel/drivers/scsi/scsi_mod.ko",
            "kernel/drivers/scsi/sr_mod.ko.xz",
            "kernel/drivers/ata/libata-core.ko",
            "kernel/drivers/usb/core/usbcore.ko",
            "kernel/drivers/usb/host/xhci-hcd.ko",
            "kernel/drivers/usb/host/xhci-pci.ko",
            "kernel/drivers/usb/common/usb-common.ko",
            "kernel/lib/crc-itu-t.ko",
            "kernel/lib/libcrc32c.ko",
            "kernel/fs/ext4/ext4.ko",
            "kernel/fs/jbd2/jbd2.ko",
            "kernel/fs/mbcache.ko",
            "kernel/sound/core/snd.ko",
            "updates/dkms/vendor-nic.ko",
            "extra/mii.ko");
        // A module only its owner may read: modes are copied as they are.
        f.Write($"{ModDir}/kernel/drivers/usb/host/xhci-hcd.ko", "fake module, private", mode: WedgeFixture.Private);
        f.Write($"{ModDir}/modules.builtin", """
            kernel/drivers/usb/storage/usb-storage.ko
            kernel/fs/fat/vfat.ko
            """);
        f.Write($"{ModDir}/modules.order", "kernel/fs/ext4/ext4.ko");
        f.Write($"{ModDir}/modules.dep", """
            kernel/drivers/net/ethernet/intel/e1000/e1000.ko:
            kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko: kernel/lib/crc-itu-t.ko
            kernel/drivers/net/ethernet/realtek/8139too.ko: kernel/drivers/net/mii.ko
            kernel/drivers/net/ethernet/realtek/r8169.ko: kernel/drivers/net/phy/realtek.ko kernel/drivers/net/phy/libphy.ko
            kernel/drivers/net/mii.ko:
            kernel/drivers/net/phy/libphy.ko:
            kernel/drivers/net/phy/realtek.ko: kernel/drivers/net/phy/libphy.ko
            kernel/drivers/scsi/sd_mod.ko: kernel/drivers/scsi/scsi_mod.ko
            kernel/drivers/scsi/scsi_mod.ko:
            kernel/drivers/scsi/sr_mod.ko.xz: kernel/drivers/scsi/scsi_mod.ko
            kernel/drivers/ata/libata-core.ko: kernel/drivers/scsi/scsi_mod.ko
            kernel/drivers/usb/core/usbcore.ko: kernel/drivers/usb/common/usb-common.ko
            kernel/drivers/usb/host/xhci-hcd.ko: kernel/drivers/usb/core/usbcore.ko kernel/drivers/usb/common/usb-common.ko
            kernel/drivers/usb/host/xhci-pci.ko: kernel/drivers/usb/host/xhci-hcd.ko kernel/drivers/usb/core/usbcore.ko kernel/drivers/usb/common/usb-common.ko
            kernel/drivers/usb/common/usb-common.ko:
            kernel/lib/crc-itu-t.ko:
            kernel/lib/libcrc32c.ko:
            kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko kernel/lib/libcrc32c.ko
            kernel/fs/jbd2/jbd2.ko:
            kernel/fs/mbcache.ko:
            kernel/sound/core/snd.ko:
            updates/dkms/vendor-nic.ko: kernel/drivers/net/mii.ko
            extra/mii.ko:
            """);
    }

    /// <summary>The cloud kernel keeps its modules under /usr/lib/modules.</summary>
    public static void CloudTree(WedgeFixture f)
    {
        f.Modules(CloudModDir,
            "kernel/fs/ext4/ext4.ko",
            "kernel/fs/jbd2/jbd2.ko",
            "kernel/lib/libcrc32c.ko",
            "kernel/drivers/virtio/virtio.ko",
            "kernel/drivers/virtio/virtio_ring.ko",
            "kernel/drivers/net/virtio_net.ko",
            "kernel/drivers/block/virtio_blk.ko");
        f.Write($"{CloudModDir}/modules.builtin", "");
        f.Write($"{CloudModDir}/modules.order", "");
        f.Write($"{CloudModDir}/modules.dep", """
            kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/lib/libcrc32c.ko
            kernel/fs/jbd2/jbd2.ko:
            kernel/lib/libcrc32c.ko:
            kernel/drivers/virtio/virtio.ko:
            kernel/drivers/virtio/virtio_ring.ko:
            kernel/drivers/net/virtio_net.ko: kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
            kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
            """);
    }

    public static void Images(WedgeFixture f)
    {
        f.Write($"src/boot/vmlinuz-{Installed}", "kernel image");
        f.Write($"src/boot/System.map-{Installed}", "ffffffff81000000 T _text");
        f.Write($"src/boot/vmlinuz-{CloudInstalled}", "cloud kernel image");
    }

    /// <summary>debian/control as gen-control would make it, less usb-modules (so it is not built).</summary>
    public static void Control(WedgeFixture f)
    {
        var lines = new List<string>
        {
            "Source: linux-signed-amd64-di",
            "Section: debian-installer",
            // Compatibility level 11: dh_listpackages -s, which the reference's check runs, is gone from 12 on.
            "Build-Depends: debhelper-compat (= 11), kernel-wedge",
            "",
        };
        foreach (var (flavour, packages) in new[]
                 {
                     ("amd64", new[] { "kernel-image", "core-modules", "crc-modules", "nic-modules", "nic-shared-modules", "scsi-modules", "fb-modules", "extra-modules" }),
                     ("cloud-amd64", new[] { "kernel-image", "core-modules", "crc-modules", "cloud-extra-modules" }),
                 })
            foreach (var p in packages)
                lines.AddRange([$"Package: {p}-{Version}-{flavour}-di", "Package-Type: udeb", "Architecture: amd64", "Description: test", ""]);
        lines.AddRange(["Package: kernel-wedge-docs", "Architecture: all", "Description: an arch: all package", ""]);
        lines.AddRange(["Package: nic-modules-6.1.0-9-armmp-di", "Package-Type: udeb", "Architecture: armhf", "Description: another architecture's"]);
        f.Write("work/debian/control", string.Join("\n", lines));
    }
}
