using Kpk.Core;
using Kpk.Wedge.Deb;
using Xunit;

namespace Kpk.Wedge.Build.Tests;

/// <summary>
/// Control files for a debian/control that uses more of what dpkg-gencontrol handles — inherited
/// and custom fields, substitution variables, relationship simplification and sorting, arch
/// lists, epochs, a binary version override — compared with what dh_gencontrol writes.
/// </summary>
public class ControlGenerationTests
{
    private static string ControlText(string arch) => $$"""
        Source: linux-signed-kwtest
        Section: kernel
        Priority: optional
        Maintainer: Kernel Team <kernel@example.org>
        Uploaders: Someone Else <someone@example.org>
        Homepage: https://www.kernel.org/
        Build-Depends: debhelper-compat (= 13)
        Standards-Version: 4.6.2
        Rules-Requires-Root: no
        XB-Origin-Note: from the source paragraph
        Description: signed kernel udebs
         The extended source description.

        Package: alpha-modules-di
        Package-Type: udeb
        Architecture: {{arch}} hurd-i386 armel
        Section: debian-installer
        Depends: kernel-image-di, ${misc:Depends}, alpha-modules-di, kernel-image-di, foo (>= 1.0), foo (>= 2.0),
         bar [!{{arch}}], baz [{{arch}}] | qux, ${extra:Depends}, provided-thing, early (<< 3) | late, early (<< 2) | late
        Pre-Depends: base (>= 2)
        Recommends: base (>= 1), other, foo (>= 0.5)
        Provides: zeta, alpha, zeta, beta (= 1.0), provided-thing
        Conflicts: c2, c1, c1 (<< 2), c0 (>= 1), c0 (>= 2)
        Kernel-Version: 6.1.0-18-test
        XB-Installer-Menu-Item: 1234
        X-Not-Copied: dropped, it has no B
        Description: alpha ${source:Synopsis}
         line one
         .
         line three on ${Arch}, version ${binary:Version} of ${source:Version}

        Package: beta-di
        XC-Package-Type: udeb
        Architecture: any
        Priority: standard
        Multi-Arch: no
        Depends: ${misc:Depends}, ${misc:Pre-Depends}
        Homepage: https://example.org/beta
        Enhances: zzz, aaa
        Description: beta
         text

        Package: linux-signed-kwtest
        Package-Type: udeb
        Architecture: all
        Description: same name as the source package

        Package: not-a-udeb
        Architecture: any
        Description: an ordinary deb, which kpk wedge build leaves alone
        """;

    private static UdebFixture Make(string version)
    {
        var f = new UdebFixture(ControlText(UdebFixture.Arch), version, "linux-signed-kwtest");
        UdebFixture.WriteFile(f.PackageDir("alpha-modules-di"), "lib/modules/x/alpha.ko", new byte[3000], 0b110_100_100);
        UdebFixture.WriteFile(f.PackageDir("beta-di"), "usr/share/beta", new byte[10], 0b110_100_100);
        Directory.CreateDirectory(f.PackageDir("linux-signed-kwtest"));
        Directory.CreateDirectory(f.PackageDir("not-a-udeb"));
        File.WriteAllText(Path.Combine(f.Debian, "alpha-modules-di.substvars"), "misc:Depends=\nextra:Depends=libfoo (>= 3), libbar\n");
        File.WriteAllText(Path.Combine(f.Debian, "beta-di.substvars"), "Extra-Size=100\n");
        return f;
    }

    private static void CompareWithDebhelper(string changelogVersion, string? binaryVersion)
    {
        using var f = Make(changelogVersion);
        var reporter = new RecordingReporter();
        var ours = UdebBuilder.Build(new UdebBuildOptions
        {
            DebianDirectory = f.Debian,
            OutputDirectory = f.Output,
            HostArch = UdebFixture.Arch,
            Version = binaryVersion,
        }, reporter);
        string referenceDir = f.BuildWithDebhelper(binaryVersion);
        var referenceUdebs = Directory.GetFiles(referenceDir, "*.udeb").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(referenceUdebs, ours.Select(b => Path.GetFileName(b.Path)).Order(StringComparer.Ordinal));
        Assert.Equal(3, ours.Count);
        foreach (var b in ours)
        {
            string reference = Path.Combine(referenceDir, Path.GetFileName(b.Path));
            Assert.Equal(ExternalTool.Check("dpkg-deb", ["--info", reference, "control"]).Text,
                ExternalTool.Check("dpkg-deb", ["--info", b.Path, "control"]).Text);
        }
    }

    [Fact]
    public void Fields_match_dh_gencontrol() => CompareWithDebhelper("1:6.1.76-1", null);

    [Fact]
    public void Fields_match_dh_gencontrol_with_a_binary_version_override() => CompareWithDebhelper("1:6.1.76-1", "1:6.1.76-1+b1");

    [Fact]
    public void Generated_fields_say_what_was_decided()
    {
        using var f = Make("1:6.1.76-1");
        var ours = UdebBuilder.Build(new UdebBuildOptions { DebianDirectory = f.Debian, OutputDirectory = f.Output, HostArch = UdebFixture.Arch }, NullReporter.Instance);
        var alpha = ours.Single(b => b.Package == "alpha-modules-di").Control;
        // A udeb never carries Package-Type or Homepage; source-only fields are not inherited.
        Assert.Null(alpha["Package-Type"]);
        Assert.Null(alpha["Homepage"]);
        Assert.Null(alpha["Uploaders"]);
        Assert.Null(alpha["Not-Copied"]);
        Assert.Equal("1234", alpha["Installer-Menu-Item"]);
        Assert.Equal("from the source paragraph", alpha["Origin-Note"]);
        Assert.Equal(UdebFixture.Arch, alpha["Architecture"]);
        Assert.Equal("alpha, beta (= 1.0), provided-thing, zeta", alpha["Provides"]);
        Assert.Equal("linux-signed-kwtest", ours.Single(b => b.Package == "beta-di").Control["Source"]);
        Assert.Null(ours.Single(b => b.Package == "linux-signed-kwtest").Control["Source"]);
        Assert.EndsWith("_6.1.76-1_all.udeb", ours.Single(b => b.Package == "linux-signed-kwtest").Path);
        Assert.DoesNotContain(ours, b => b.Package == "not-a-udeb");
        Assert.Null(ours.Single(b => b.Package == "beta-di").Control["Multi-Arch"]);
        Assert.Null(ours.Single(b => b.Package == "beta-di").Control["Depends"]);
    }

    [Fact]
    public void Unknown_fields_and_undefined_variables_are_warned_about()
    {
        string control = $$"""
            Source: src
            Maintainer: M <m@example.org>

            Package: one-di
            Package-Type: udeb
            Architecture: {{UdebFixture.Arch}}
            Strange-Field: value
            Depends: ${undefined:Depends}, real
            Description: one
            """;
        using var f = new UdebFixture(control, "1.0-1", "src");
        Directory.CreateDirectory(f.PackageDir("one-di"));
        var reporter = new RecordingReporter();
        var built = UdebBuilder.Build(new UdebBuildOptions { DebianDirectory = f.Debian, OutputDirectory = f.Output, HostArch = UdebFixture.Arch }, reporter);
        Assert.Equal("real", built.Single().Control["Depends"]);
        Assert.Null(built.Single().Control["Strange-Field"]);
        Assert.Contains(reporter.Lines, l => l.StartsWith("warning: ", StringComparison.Ordinal) && l.Contains("unknown field 'Strange-Field'", StringComparison.Ordinal) && l.Contains("control:7:", StringComparison.Ordinal));
        Assert.Contains(reporter.Lines, l => l.Contains("${undefined:Depends} used, but is not defined", StringComparison.Ordinal));
    }
}
