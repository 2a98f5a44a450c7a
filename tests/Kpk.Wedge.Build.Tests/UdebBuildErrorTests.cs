using Kpk.Core;
using Kpk.Wedge.Deb;
using Xunit;

namespace Kpk.Wedge.Build.Tests;

/// <summary>Bad input ends in one clear message naming the file (and line), and never leaves a .udeb, whole or partial.</summary>
public class UdebBuildErrorTests
{
    private static UdebBuildOptions Options(UdebFixture f, params string[] packages) => new()
    {
        DebianDirectory = f.Debian,
        OutputDirectory = f.Output,
        HostArch = UdebFixture.Arch,
        Packages = packages,
        Compress = false,
    };

    private static KpkException Fails(UdebFixture f, UdebBuildOptions options)
    {
        var e = Assert.Throws<KpkException>(() => UdebBuilder.Build(options, NullReporter.Instance));
        Assert.Empty(Directory.GetFileSystemEntries(f.Output)); // no .udeb and no temporary left behind
        return e;
    }

    [Fact]
    public void Missing_package_directory()
    {
        using var f = new UdebFixture().StageAll();
        string dir = f.PackageDir(UdebFixture.Package("fs-modules"));
        Directory.Delete(dir, recursive: true);
        var e = Fails(f, Options(f));
        Assert.True(e.Message.Contains(dir, StringComparison.Ordinal), e.Message);
        Assert.True(e.Message.Contains("does not exist", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void Package_not_in_the_control_file()
    {
        using var f = new UdebFixture().StageAll();
        var e = Fails(f, Options(f, UdebFixture.Package("nic-modules"), "sound-modules-di"));
        Assert.True(e.Message.Contains("sound-modules-di", StringComparison.Ordinal), e.Message);
        Assert.True(e.Message.Contains(Path.Combine(f.Debian, "control"), StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void Unreadable_file()
    {
        using var f = new UdebFixture().StageAll();
        string secret = Path.Combine(f.PackageDir(UdebFixture.Package("nic-modules")), "usr/bin/secret");
        UdebFixture.WriteFile(Path.GetDirectoryName(secret)!, "secret", [1, 2, 3], 0);
        // Readable by anyone but this one file (the fixture's 0600 file would be refused too).
        foreach (var file in Directory.EnumerateFiles(f.Debian, "*", SearchOption.AllDirectories).Where(p => p != secret && new FileInfo(p).LinkTarget == null))
            File.SetUnixFileMode(file, File.GetUnixFileMode(file) | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        // The other packages come first and are fine: still nothing may be written.
        var e = Assert.Throws<KpkException>(() => Unprivileged.Run(() => UdebBuilder.Build(Options(f), NullReporter.Instance)));
        Assert.True(e.Message.Contains(secret, StringComparison.Ordinal), e.Message);
        Assert.Equal($"{secret}: cannot read: permission denied", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(f.Output));
    }

    [Fact]
    public void Special_file_in_the_tree()
    {
        using var f = new UdebFixture().StageAll();
        string fifo = Path.Combine(f.PackageDir(UdebFixture.Package("kernel-image")), "boot/pipe");
        ExternalTool.Check("mkfifo", [fifo]);
        var e = Fails(f, Options(f));
        Assert.True(e.Message.Contains(fifo, StringComparison.Ordinal), e.Message);
        Assert.True(e.Message.Contains("named pipe", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void Not_a_udeb()
    {
        string control = $"Source: src\nMaintainer: m <m@example.org>\n\nPackage: plain\nArchitecture: {UdebFixture.Arch}\nDescription: d\n";
        using var f = new UdebFixture(control, "1.0", "src");
        Directory.CreateDirectory(f.PackageDir("plain"));
        Assert.Contains("not a udeb", Fails(f, Options(f, "plain")).Message);
        Assert.Contains("no udeb packages", Fails(f, Options(f)).Message);
    }

    [Fact]
    public void Package_for_another_architecture()
    {
        string control = "Source: src\nMaintainer: m <m@example.org>\n\nPackage: other-di\nPackage-Type: udeb\nArchitecture: sparc64 hppa\nDescription: d\n";
        using var f = new UdebFixture(control, "1.0", "src");
        Directory.CreateDirectory(f.PackageDir("other-di"));
        var e = Fails(f, Options(f, "other-di"));
        Assert.True(e.Message.Contains("does not appear in package 'other-di' architecture list (sparc64 hppa)", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void Control_syntax_error_names_the_line()
    {
        string control = "Source: src\nMaintainer: m <m@example.org>\n\nPackage: a-di\nPackage-Type: udeb\nthis line has no colon\nArchitecture: any\n";
        using var f = new UdebFixture(control, "1.0", "src");
        var e = Fails(f, Options(f));
        Assert.Equal($"{Path.Combine(f.Debian, "control")}:6: line with unknown format (not field-colon-value)", e.Message);
    }

    [Fact]
    public void Control_without_source_paragraph()
    {
        using var f = new UdebFixture("Package: a-di\nPackage-Type: udeb\nArchitecture: any\n", "1.0", "src");
        Assert.Contains("control:1: first paragraph lacks a Source field", Fails(f, Options(f)).Message);
    }

    [Fact]
    public void Bad_dependency_names_the_field()
    {
        string control = $"Source: src\nMaintainer: m <m@example.org>\n\nPackage: a-di\nPackage-Type: udeb\nArchitecture: any\nDepends: ok, (broken\nDescription: d\n";
        using var f = new UdebFixture(control, "1.0", "src");
        Directory.CreateDirectory(f.PackageDir("a-di"));
        var e = Fails(f, Options(f));
        Assert.True(e.Message.Contains("control:7: parsing package 'a-di' Depends field", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void Bad_changelog()
    {
        using var f = new UdebFixture().StageAll();
        File.WriteAllText(Path.Combine(f.Debian, "changelog"), "\nnot a changelog heading\n");
        var e = Fails(f, Options(f));
        Assert.True(e.Message.Contains("changelog:2: badly formatted heading line", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void Source_name_disagreeing_with_changelog()
    {
        using var f = new UdebFixture().StageAll();
        File.WriteAllText(Path.Combine(f.Debian, "changelog"), File.ReadAllText(Path.Combine(f.Debian, "changelog")).Replace("linux-kwtest", "other-source"));
        Assert.Contains("source package has two conflicting values - linux-kwtest (debian/control) and other-source (debian/changelog)", Fails(f, Options(f)).Message);
    }

    [Fact]
    public void Bad_version_override()
    {
        using var f = new UdebFixture().StageAll();
        Assert.Contains("version 'x1.0' is not valid", Fails(f, Options(f) with { Version = "x1.0" }).Message);
    }

    [Fact]
    public void Missing_output_directory()
    {
        using var f = new UdebFixture().StageAll();
        Directory.Delete(f.Output);
        var e = Assert.Throws<KpkException>(() => UdebBuilder.Build(Options(f), NullReporter.Instance));
        Assert.True(e.Message.Contains("output directory does not exist", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void Maintainer_script_that_is_not_executable()
    {
        using var f = new UdebFixture().StageAll();
        string script = Path.Combine(f.PackageDir(UdebFixture.Package("fs-modules")), "DEBIAN", "postinst");
        UdebFixture.WriteFile(Path.GetDirectoryName(script)!, "postinst", "#!/bin/sh\n"u8.ToArray(), 0b110_100_100);
        File.Delete(Path.Combine(f.Debian, UdebFixture.Package("fs-modules") + ".postinst")); // else it would replace DEBIAN/postinst
        var e = Fails(f, Options(f));
        Assert.True(e.Message.Contains(script, StringComparison.Ordinal), e.Message);
        Assert.True(e.Message.Contains("bad permissions 644", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void A_failed_build_keeps_an_older_udeb_untouched()
    {
        using var f = new UdebFixture().StageAll();
        var first = UdebBuilder.Build(Options(f, UdebFixture.Package("kernel-image")), NullReporter.Instance).Single();
        byte[] before = File.ReadAllBytes(first.Path);
        ExternalTool.Check("mkfifo", [Path.Combine(f.PackageDir(UdebFixture.Package("kernel-image")), "boot/pipe")]);
        Assert.Throws<KpkException>(() => UdebBuilder.Build(Options(f, UdebFixture.Package("kernel-image")), NullReporter.Instance));
        Assert.Equal(before, File.ReadAllBytes(first.Path));
        Assert.Single(Directory.GetFileSystemEntries(f.Output));
    }
}
