using System.Text;
using Kpk.Tests;

namespace Kpk.Wedge.Build.Tests;

/// <summary>
/// A source tree as kernel-wedge and debhelper leave it before dh_builddeb: debian/control made by
/// the real <c>kernel-wedge gen-control</c> (or given), debian/changelog, and staged trees
/// debian/PACKAGE/ with files of many sizes and modes, nested and empty directories, symlinks
/// (relative, absolute, dangling, long), a hard link, long names and a postinst.
/// </summary>
public sealed class UdebFixture : IDisposable
{
    public const string KernelVersion = "6.1.0-18";
    public const string Flavour = "test";
    public const long ChangelogEpoch = 1707134400; // Mon, 05 Feb 2024 12:00:00 +0000

    private readonly TempDir _temp = TestPaths.TempDir("kpk-udeb");

    public UdebFixture(string? controlText = null, string version = "6.1.76-1", string source = "linux-kwtest")
    {
        Directory.CreateDirectory(Debian);
        Directory.CreateDirectory(Output);
        File.WriteAllText(Path.Combine(Debian, "changelog"),
            $"{source} ({version}) unstable; urgency=medium\n\n  * Test build.\n\n -- Test Maintainer <test@example.org>  Mon, 05 Feb 2024 12:00:00 +0000\n");
        File.WriteAllText(Path.Combine(Debian, "control"), controlText ?? GenControl(source));
    }

    public static string Arch { get; } = ExternalTool.Check("dpkg", ["--print-architecture"]).Text.Trim();

    public string Root => _temp.Path;
    public string SourceTree => _temp["src"];
    public string Debian => Path.Combine(SourceTree, "debian");
    public string Output => _temp["out"];
    public string this[string name] => _temp[name];

    public static string Package(string module) => $"{module}-{KernelVersion}-{Flavour}-di";

    public string PackageDir(string package) => Path.Combine(Debian, package);

    /// <summary>debian/control from the real kernel-wedge, fed a small configuration.</summary>
    private string GenControl(string source)
    {
        string cfg = _temp["kw-config"];
        Directory.CreateDirectory(Path.Combine(cfg, "modules", Arch));
        File.WriteAllText(Path.Combine(cfg, "kernel-versions"),
            $"# arch version flavour installedname suffix build-depends\n{Arch} {KernelVersion} {Flavour} - - linux-image-{KernelVersion}-{Flavour}\n");
        File.WriteAllText(Path.Combine(cfg, "package-list"), """
            Package: kernel-image
            Priority: standard
            Provides: zlib-modules, ext4-modules
            Description: Linux kernel binary image for the Debian installer
             This package contains the kernel image for the Debian installer
             boot images. It does _not_ provide a usable kernel for your full
             Debian system.

            Package: nic-modules
            Depends: kernel-image, missing-modules, forced-modules!
            Priority: standard
            Description: NIC drivers
             This package contains NIC drivers for the kernel.
             .
             Second paragraph after an empty line.

            Package: fs-modules
            Depends: kernel-image, nic-modules
            Priority: optional
            Section: debian-installer
            Description: Filesystem support

            """.Replace("\r", ""));
        foreach (var m in new[] { "kernel-image", "nic-modules", "fs-modules" })
            File.WriteAllText(Path.Combine(cfg, "modules", Arch, m), "");
        File.WriteAllText(Path.Combine(Debian, "control.stub"), $"""
            Source: {source}
            Section: kernel
            Priority: optional
            Maintainer: Test Maintainer <test@example.org>
            Build-Depends: debhelper-compat (= 13)
            Standards-Version: 4.6.2

            """);
        var env = new Dictionary<string, string> { ["KW_DEFCONFIG_DIR"] = cfg, ["KW_CONFIG_DIR"] = cfg };
        return ExternalTool.Check("kernel-wedge", ["gen-control"], workingDirectory: SourceTree, environment: env).Text;
    }

    /// <summary>Stages the three kernel-wedge packages with a varied set of files.</summary>
    public UdebFixture StageAll()
    {
        var rng = new Random(42);
        string kernel = PackageDir(Package("kernel-image"));
        WriteFile(kernel, "boot/vmlinuz", Random(rng, 70_000), 0b110_100_100);
        WriteFile(kernel, "boot/System.map", Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 3000).Select(i => $"ffffffff81{i:x6} T sym_{i}\n"))), 0b110_100_100);
        WriteFile(kernel, $"lib/modules/{KernelVersion}-{Flavour}/modules.builtin", Encoding.ASCII.GetBytes("kernel/fs/ext4/ext4.ko\n"), 0b110_100_100);
        WriteFile(kernel, $"lib/modules/{KernelVersion}-{Flavour}/modules.order", [], 0b110_100_100);

        string nic = PackageDir(Package("nic-modules"));
        string mod = $"lib/modules/{KernelVersion}-{Flavour}/kernel/drivers/net/ethernet";
        WriteFile(nic, $"{mod}/intel/e1000/e1000.ko", ElfLike(rng, 40_000), 0b110_100_100);
        WriteFile(nic, $"{mod}/intel/e1000e/e1000e.ko", ElfLike(rng, 1024), 0b110_100_100);
        WriteFile(nic, $"{mod}/realtek/r8169.ko", ElfLike(rng, 1025), 0b110_100_100);
        WriteFile(nic, $"{mod}/tiny.ko", [0x7f], 0b110_100_100);
        WriteFile(nic, $"{mod}/A-upper.ko", ElfLike(rng, 300), 0b110_100_100);
        WriteFile(nic, $"{mod}/a.b", [1, 2, 3], 0b110_000_000);
        WriteFile(nic, $"{mod}/a-c", [4], 0b110_100_100);
        WriteFile(nic, "usr/bin/helper", Encoding.ASCII.GetBytes("#!/bin/sh\necho hi\n"), 0b111_101_101);
        WriteFile(nic, "usr/share/doc/name with spaces é.txt", Encoding.UTF8.GetBytes("unicode name\n"), 0b110_100_100);
        string longDir = "usr/share/" + string.Join('/', Enumerable.Range(0, 6).Select(i => $"deeply-nested-directory-{i}"));
        WriteFile(nic, $"{longDir}/a-file-whose-full-path-is-well-beyond-one-hundred-bytes.ko", ElfLike(rng, 2000), 0b110_100_100);
        Directory.CreateDirectory(Path.Combine(nic, "var/empty"));
        File.CreateSymbolicLink(Path.Combine(nic, mod, "e1000-alias.ko"), "intel/e1000/e1000.ko");
        File.CreateSymbolicLink(Path.Combine(nic, "usr/bin/absolute-link"), "/usr/bin/helper");
        File.CreateSymbolicLink(Path.Combine(nic, "usr/bin/dangling"), "does-not-exist");
        File.CreateSymbolicLink(Path.Combine(nic, "usr/bin/long-target"), "../" + longDir + "/a-file-whose-full-path-is-well-beyond-one-hundred-bytes.ko");
        File.CreateSymbolicLink(Path.Combine(nic, "usr/share/dirlink"), "doc");
        ExternalTool.Check("ln", [Path.Combine(nic, "usr/bin/helper"), Path.Combine(nic, "usr/bin/helper-hardlink")]);
        File.WriteAllText(Path.Combine(Debian, Package("nic-modules") + ".postinst"), $"#!/bin/sh -e\ndepmod {KernelVersion}-{Flavour}\n");

        string fs = PackageDir(Package("fs-modules"));
        WriteFile(fs, $"lib/modules/{KernelVersion}-{Flavour}/kernel/fs/ext4/ext4.ko", ElfLike(rng, 120_000), 0b110_100_100);
        File.WriteAllText(Path.Combine(Debian, Package("fs-modules") + ".postinst"), $"#!/bin/sh -e\ndepmod {KernelVersion}-{Flavour}\n");
        SetDirectoryModes(Debian);
        return this;
    }

    public static void WriteFile(string root, string relative, byte[] content, int mode)
    {
        string path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        File.SetUnixFileMode(path, (UnixFileMode)mode);
    }

    /// <summary>dh_fixperms leaves directories 0755; do the same so the umask does not matter.</summary>
    private static void SetDirectoryModes(string root)
    {
        foreach (var d in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).Append(root))
            if (new FileInfo(d).LinkTarget == null) File.SetUnixFileMode(d, (UnixFileMode)0b111_101_101);
    }

    private static byte[] Random(Random rng, int size)
    {
        var b = new byte[size];
        rng.NextBytes(b);
        return b;
    }

    /// <summary>Compressible binary-ish content: repeated structures with small random changes.</summary>
    private static byte[] ElfLike(Random rng, int size)
    {
        var b = new byte[size];
        byte[] header = [0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0];
        for (int i = 0; i < size; i++) b[i] = i < header.Length ? header[i] : (byte)(i % 24 < 8 ? rng.Next(4) : i % 24 < 16 ? 0 : (i / 24) & 0xff);
        return b;
    }

    /// <summary>
    /// The reference: a copy of the source tree put through dh_installdeb, dh_gencontrol and
    /// dh_builddeb (dpkg-gencontrol and dpkg-deb underneath). Returns the output directory.
    /// </summary>
    public string BuildWithDebhelper(string? version = null)
    {
        string copy = _temp["reference-src"];
        ExternalTool.Check("cp", ["-a", SourceTree, copy]);
        string outDir = _temp["reference-out"];
        Directory.CreateDirectory(outDir);
        var env = new Dictionary<string, string> { ["SOURCE_DATE_EPOCH"] = ChangelogEpoch.ToString(), ["DH_VERBOSE"] = "0" };
        ExternalTool.Check("dh_installdeb", [], workingDirectory: copy, environment: env);
        ExternalTool.Check("dh_gencontrol", version == null ? [] : ["--", "-v" + version], workingDirectory: copy, environment: env);
        ExternalTool.Check("dh_builddeb", ["--destdir=" + outDir], workingDirectory: copy, environment: env);
        return outDir;
    }

    /// <summary>Every path under the source tree with its type, mode, size, mtime and content hash: to prove the build left it alone.</summary>
    public string Snapshot()
    {
        var sb = new StringBuilder();
        foreach (var path in Directory.EnumerateFileSystemEntries(SourceTree, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(path);
            var st = Kpk.Wedge.Deb.FileStatus.Of(path);
            string kind = st.Kind switch
            {
                Kpk.Wedge.Deb.FileKind.Symlink => "l:" + info.LinkTarget,
                Kpk.Wedge.Deb.FileKind.Directory => "d " + info.LastWriteTimeUtc.Ticks,
                _ => "f:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))) + " " + info.LastWriteTimeUtc.Ticks,
            };
            sb.Append($"{path} {kind} {Convert.ToString(st.Mode, 8)}\n");
        }
        return sb.ToString();
    }

    public void Dispose() => _temp.Dispose();
}
