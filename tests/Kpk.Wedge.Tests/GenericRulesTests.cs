using System.Diagnostics;
using Kpk.Tests;
using Xunit;

namespace Kpk.Wedge.Tests;

/// <summary>
/// data/kernel-wedge/generic-rules, included from a debian/rules and run by make as dpkg-buildpackage
/// would, beside kernel-wedge's own generic-rules (with debhelper) on a copy of the same setup:
/// the same .udeb files with the same members.
/// </summary>
public class GenericRulesTests
{
    private static string Fragment => Path.Combine(TestPaths.RepoRoot, "data", "kernel-wedge", "generic-rules");

    private static void Setup(WedgeFixture f, string include)
    {
        Scenarios.Standard(f);
        f.Write("cfg/ignore-dups", "");
        // Kernels as build-dependencies: gen-control then starts from debian/control.stub, as Debian's linux-signed-*-di do.
        f.Write("cfg/kernel-versions", $"amd64 {Scenarios.Version} amd64 - - linux-image-{Scenarios.Installed}\n" +
                                       $"amd64 {Scenarios.Version} cloud-amd64 - y linux-image-{Scenarios.CloudInstalled}\n");
        f.Write("work/debian/control.stub", "Source: linux-signed-amd64-di\nSection: debian-installer\nPriority: optional\n" +
                                            "Maintainer: Kpk Tests <kpk@example.org>\nBuild-Depends: debhelper-compat (= 11), kernel-wedge\n");
        f.Write("work/debian/changelog", "linux-signed-amd64-di (1.0) unstable; urgency=medium\n\n  * Test.\n\n -- Kpk Tests <kpk@example.org>  Tue, 01 Dec 2026 12:00:00 +0000\n");
        f.Write("work/debian/rules", $"#!/usr/bin/make -f\ninclude {include}\n", WedgeFixture.Executable);
    }

    private static Outcome Make(WedgeFixture f, string target)
    {
        var psi = new ProcessStartInfo("make") { WorkingDirectory = f.Work, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "-f", "debian/rules", target }) psi.ArgumentList.Add(a);
        foreach (var (k, v) in f.Env) psi.Environment[k] = v;
        psi.Environment["KPK"] = Path.Combine(TestPaths.RepoRoot, "kpk");
        psi.Environment["SOURCE_DATE_EPOCH"] = "1764590400";
        psi.Environment["KW_CHECK_NONFATAL"] = "1"; // the scenario leaves fb-modules empty
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return new Outcome(p.ExitCode, output, err.Result);
    }

    private static string Contents(string udeb)
    {
        var psi = new ProcessStartInfo("dpkg-deb", $"-c {udeb}") { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        // Names, types and modes; dates and owners differ by design (kpk sets them all, dh_builddeb clamps).
        var lines = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(f => $"{f[0]} {f[2]} {string.Join(' ', f[5..])}");
        p.WaitForExit();
        return string.Join('\n', lines);
    }

    [Fact]
    public void Kpks_fragment_makes_the_udebs_kernel_wedges_makes()
    {
        using var ours = new WedgeFixture();
        using var reference = new WedgeFixture();
        Setup(ours, Fragment);
        Setup(reference, "/usr/share/kernel-wedge/generic-rules");

        var o = Make(ours, "binary-arch");
        var r = Make(reference, "binary-arch");

        Assert.True(o.Exit == 0, o.ToString());
        Assert.True(r.Exit == 0, r.ToString());
        var ourUdebs = Directory.GetFiles(ours.Root, "*.udeb").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var theirUdebs = Directory.GetFiles(reference.Root, "*.udeb").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(ourUdebs);
        Assert.Equal(theirUdebs, ourUdebs);
        foreach (string name in ourUdebs)
            Assert.Equal(Contents(reference[name!]), Contents(ours[name!]));
        Assert.DoesNotContain("dh_", o.Out); // no debhelper step ran (install-files still prints its steps in kernel-wedge's words)
        Assert.Contains("dh_builddeb", r.Out);
    }
}
