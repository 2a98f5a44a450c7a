using System.Diagnostics;
using Kpk.Core;
using Kpk.Tests;
using Kpk.Wedge;
using Xunit;

namespace Kpk.Runtime.Tests;

/// <summary>kpk deb patch: a live patch tarball as a Debian package, read back by dpkg-deb.</summary>
public class LivePatchDebTests
{
    private static string Dpkg(params string[] args)
    {
        var start = new ProcessStartInfo("dpkg-deb") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, error);
        return output;
    }

    [Fact]
    public void A_cumulative_patch_is_the_kernels_livepatch_package_depending_on_that_exact_kernel()
    {
        using var dir = TestPaths.TempDir();
        var manifest = Fixtures.Manifest("kpk_fixture", id: "fix-7", replace: true);
        string tarball = Fixtures.Tarball(dir.Path, Fixtures.Module(dir.Path, "kpk_fixture", replace: true), manifest);
        var built = LivePatchDeb.Build(tarball, new LivePatchDebOptions { OutputDirectory = dir.Path, KernelPackageVersion = "6.1.99-1", Architecture = "amd64" });

        Assert.Equal($"kpk-livepatch-{Fixtures.Release}", Dpkg("-f", built.Path, "Package").Trim());
        Assert.Equal("20261122.120000", Dpkg("-f", built.Path, "Version").Trim()); // the manifest's created time
        Assert.Equal($"kpk, linux-image-{Fixtures.Release} (= 6.1.99-1)", Dpkg("-f", built.Path, "Depends").Trim());
        Assert.Equal("kpk-livepatch-fix-7", Dpkg("-f", built.Path, "Provides").Trim());
        string contents = Dpkg("-c", built.Path);
        Assert.Contains($"./lib/modules/{Fixtures.Release}/updates/kpk/kpk_fixture.ko\n", contents);
        Assert.Contains($"./lib/modules/{Fixtures.Release}/updates/kpk/kpk_fixture.json\n", contents);

        string control = Path.Combine(dir.Path, "control");
        Dpkg("-e", built.Path, control);
        string postinst = File.ReadAllText(Path.Combine(control, "postinst")), prerm = File.ReadAllText(Path.Combine(control, "prerm"));
        Assert.Contains($"= \"{Fixtures.Release}\" ]; then", postinst);
        Assert.Contains("kpk load-installed", postinst);
        Assert.Contains("kpk undo kpk_fixture", prerm);
        foreach (string script in new[] { "postinst", "prerm" })
        {
            using var sh = Process.Start("sh", ["-n", Path.Combine(control, script)]);
            sh.WaitForExit();
            Assert.True(sh.ExitCode == 0, script + " is not valid sh");
        }
        // The manifest installed beside the module is the tarball's (load-installed checks the build id with it).
        string root = Path.Combine(dir.Path, "root");
        Dpkg("-x", built.Path, root);
        Assert.Equal("fix-7", PatchManifest.Read(Path.Combine(root, $"lib/modules/{Fixtures.Release}/updates/kpk/kpk_fixture.json")).Id);
    }

    [Fact]
    public void A_stacked_patch_gets_a_package_of_its_own()
    {
        using var dir = TestPaths.TempDir();
        string tarball = Fixtures.Tarball(dir.Path, Fixtures.Module(dir.Path, "kpk_fixture"), Fixtures.Manifest("kpk_fixture", id: "s-1"));
        var built = LivePatchDeb.Build(tarball, new LivePatchDebOptions { OutputDirectory = dir.Path, Architecture = "amd64" });
        Assert.Equal($"kpk-livepatch-{Fixtures.Release}-kpk-fixture", Dpkg("-f", built.Path, "Package").Trim());
        Assert.Equal($"kpk, linux-image-{Fixtures.Release}", Dpkg("-f", built.Path, "Depends").Trim());
    }

    [Fact]
    public void A_bare_module_is_refused_naming_what_to_package_instead()
    {
        using var dir = TestPaths.TempDir();
        string ko = Fixtures.Module(dir.Path, "kpk_fixture");
        var e = Assert.Throws<KpkException>(() => LivePatchDeb.Build(ko, new LivePatchDebOptions { OutputDirectory = dir.Path }));
        Assert.Contains($"{ko}: a bare module has no manifest", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.deb"));
    }
}
