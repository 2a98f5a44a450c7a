using System.Text;
using Kpk.Core;
using Kpk.Tests;
using Kpk.Wedge.Deb;
using Xunit;

namespace Kpk.Wedge.Build.Tests;

/// <summary>kpk deb build: a .deb from a staged tree, read back by dpkg-deb.</summary>
public class BinaryPackageTests
{
    private static string Stage(string dir, string control, bool conffile = false)
    {
        string stage = Path.Combine(dir, "stage");
        Directory.CreateDirectory(Path.Combine(stage, "DEBIAN"));
        Directory.CreateDirectory(Path.Combine(stage, "usr/bin"));
        Directory.CreateDirectory(Path.Combine(stage, "etc/hello"));
        File.WriteAllText(Path.Combine(stage, "DEBIAN/control"), control);
        File.WriteAllText(Path.Combine(stage, "DEBIAN/postinst"), "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(Path.Combine(stage, "DEBIAN/postinst"), (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(stage, "usr/bin/hello"), "#!/bin/sh\necho hello\n");
        File.SetUnixFileMode(Path.Combine(stage, "usr/bin/hello"), (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(stage, "etc/hello/hello.conf"), "greeting=hello\n");
        if (conffile) File.WriteAllText(Path.Combine(stage, "DEBIAN/conffiles"), "/etc/hello/hello.conf\n");
        return stage;
    }

    private const string Control = "Package: hello\nVersion: 1:2.0-1\nArchitecture: amd64\nMaintainer: Test <test@example.org>\nDepends: libc6\nDescription: says hello\n a test package\n";

    [Fact]
    public void Dpkg_deb_reads_the_control_md5sums_scripts_and_payload()
    {
        using var dir = TestPaths.TempDir();
        string stage = Stage(dir.Path, Control, conffile: true);
        var built = BinaryPackageBuilder.Build(stage, dir.Path, mtime: 1_700_000_000);
        Assert.Equal(Path.Combine(dir.Path, "hello_2.0-1_amd64.deb"), built.Path);

        var info = ExternalTool.Run("dpkg-deb", ["-f", built.Path]);
        Assert.True(info.Exit == 0, info.Err);
        Assert.Contains("Package: hello\nVersion: 1:2.0-1\nArchitecture: amd64\nMaintainer: Test <test@example.org>\nInstalled-Size: ", info.Text);

        string control = Path.Combine(dir.Path, "control");
        Assert.Equal(0, ExternalTool.Run("dpkg-deb", ["-e", built.Path, control]).Exit);
        Assert.Equal(["conffiles", "control", "md5sums", "postinst"], Directory.GetFiles(control).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // md5sums lists the payload but the conffile, and md5sum -c accepts it against the extracted tree.
        string md5sums = File.ReadAllText(Path.Combine(control, "md5sums"));
        Assert.Contains("  usr/bin/hello\n", md5sums);
        Assert.DoesNotContain("hello.conf", md5sums);
        string root = Path.Combine(dir.Path, "root");
        Assert.Equal(0, ExternalTool.Run("dpkg-deb", ["-x", built.Path, root]).Exit);
        var check = ExternalTool.Run("md5sum", ["-c", Path.Combine(control, "md5sums")], workingDirectory: root);
        Assert.True(check.Exit == 0, check.Err + check.Text);
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(root, "usr/bin/hello")));
    }

    [Fact]
    public void The_same_tree_and_time_give_the_same_bytes()
    {
        using var dir = TestPaths.TempDir();
        string stage = Stage(dir.Path, Control);
        Directory.CreateDirectory(Path.Combine(dir.Path, "a"));
        Directory.CreateDirectory(Path.Combine(dir.Path, "b"));
        var a = BinaryPackageBuilder.Build(stage, Path.Combine(dir.Path, "a"), mtime: 1_700_000_000);
        var b = BinaryPackageBuilder.Build(stage, Path.Combine(dir.Path, "b"), mtime: 1_700_000_000);
        Assert.Equal(File.ReadAllBytes(a.Path), File.ReadAllBytes(b.Path));
    }

    [Theory]
    [InlineData("Package: hello\nVersion: 1.0\nArchitecture: amd64\nDescription: x\n", "field Maintainer is missing")]
    [InlineData("Package: Hello_World\nVersion: 1.0\nArchitecture: amd64\nMaintainer: m <m@example.org>\nDescription: x\n", "package name 'Hello_World'")]
    [InlineData("Package: hello\nVersion: a:1\nArchitecture: amd64\nMaintainer: m <m@example.org>\nDescription: x\n", "version 'a:1'")]
    public void A_bad_control_file_is_named_and_nothing_is_written(string control, string message)
    {
        using var dir = TestPaths.TempDir();
        string stage = Stage(dir.Path, control);
        var e = Assert.Throws<KpkException>(() => BinaryPackageBuilder.Build(stage, dir.Path, mtime: 0));
        Assert.Contains(Path.Combine(stage, "DEBIAN", "control"), e.Message);
        Assert.Contains(message, e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.deb"));
    }

    [Fact]
    public void A_conffile_that_is_not_in_the_package_is_refused()
    {
        using var dir = TestPaths.TempDir();
        string stage = Stage(dir.Path, Control);
        File.WriteAllText(Path.Combine(stage, "DEBIAN/conffiles"), "/etc/hello/missing.conf\n");
        var e = Assert.Throws<KpkException>(() => BinaryPackageBuilder.Build(stage, dir.Path, mtime: 0));
        Assert.Contains("conffiles:1: /etc/hello/missing.conf is not a regular file of the package", e.Message);
    }
}
