using System.Diagnostics;
using Kpk.Tests;
using Xunit;

namespace Kpk.Wedge.Tests;

/// <summary>
/// build-all and build-arch against the reference, with dpkg-buildpackage replaced by a stub that
/// records how it was called (arguments, SOURCEDIR, the CC stub and what it answers), and the
/// generic rules fragment kpk ships, run by make on a real setup.
/// </summary>
public class BuildArchTests
{
    private const string KernelVersions = "# arch version flavour installedname suffix bdep\namd64 - amd64 - y -\namd64 - cloud-amd64 - y -\narmhf - armmp - - -\narm64 - arm64 - - -\n";

    private sealed class Setup : IDisposable
    {
        private readonly TempDir _dir = TestPaths.TempDir("kpk-buildarch");
        public Setup()
        {
            Directory.CreateDirectory(Work);
            Directory.CreateDirectory(_dir["armhf"]); // ../armhf: armhf's unpacked kernel packages
            Directory.CreateDirectory(_dir["bin"]);
            File.WriteAllText(Path.Combine(Work, "kernel-versions"), KernelVersions);
            string stub = _dir["bin/dpkg-buildpackage"];
            File.WriteAllText(stub, "#!/bin/sh\n" +
                "cc=unset; out=; if [ -n \"${CC+x}\" ]; then cc=$(basename \"$CC\"); out=$(\"$CC\"); fi\n" +
                "echo \"$* | SOURCEDIR=${SOURCEDIR-unset} | CC=$cc $out | $([ $cc != unset ] && command -v $cc >/dev/null 2>&1 && echo on-path)\" >> \"$BUILD_LOG\"\n");
            File.SetUnixFileMode(stub, (UnixFileMode)0x1ED);
        }
        public string Work => _dir["work"];
        public string Log => _dir["build.log"];
        public string Root => _dir.Path;
        public IReadOnlyDictionary<string, string> Env => new Dictionary<string, string>
        {
            ["PATH"] = _dir["bin"] + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["BUILD_LOG"] = Log,
            ["DEB_BUILD_ARCH"] = "amd64",
        };
        public string Calls() => File.Exists(Log) ? File.ReadAllText(Log).Replace(Root, "$ROOT") : "";
        public void Dispose() => _dir.Dispose();
    }

    [Fact]
    public void Build_all_builds_each_architecture_of_kernel_versions_as_the_reference_does()
    {
        using var reference = new Setup();
        using var ours = new Setup();
        var r = Tools.Reference(reference.Work, reference.Env, "build-all");
        var o = Tools.Kpk(ours.Work, ours.Env, "build-all");
        Assert.True(r.Exit == 0, r.ToString());
        Assert.True(o.Exit == 0, o.ToString());
        Assert.Equal(reference.Calls(), ours.Calls());
        Assert.Equal(
            "-d -us -uc -rfakeroot -tc -I -S | SOURCEDIR=unset | CC=unset  | \n" +
            "-d -us -uc -rfakeroot -tc -I | SOURCEDIR=unset | CC=unset  | \n" +
            "-d -us -uc -rfakeroot -tc -I -S | SOURCEDIR=unset | CC=unset  | \n" +
            "-d -us -uc -rfakeroot -tc -I -b -aarmhf | SOURCEDIR=$ROOT/work/../armhf | CC=armhf-linux-gcc armhf-linux | on-path\n" +
            "-d -us -uc -rfakeroot -tc -I -S | SOURCEDIR=unset | CC=unset  | \n" +
            "-d -us -uc -rfakeroot -tc -I -b -aarm64 | SOURCEDIR=unset | CC=arm64-linux-gcc arm64-linux | on-path\n",
            ours.Calls());
        Assert.Equal("** Warning: no SOURCEDIR for arch arm64\n", o.Err);
        Assert.Contains("** Warning: no SOURCEDIR for arch arm64\n", r.Err);
    }


    [Fact]
    public void Build_arch_of_an_unlisted_architecture_is_refused_before_anything_is_built()
    {
        using var reference = new Setup();
        using var ours = new Setup();
        var r = Tools.Reference(reference.Work, reference.Env, "build-arch", "mips64el");
        var o = Tools.Kpk(ours.Work, ours.Env, "build-arch", "mips64el");
        // The reference's check (grep -v) only fails when every line is the architecture: it goes on and cross-builds.
        Assert.Equal(0, r.Exit);
        Assert.Contains("-b -amips64el", reference.Calls());
        Assert.NotEqual(0, o.Exit);
        Assert.Contains("** Error: arch mips64el not listed in kernel-versions", o.Err);
        Assert.Equal("", ours.Calls());
    }

    [Fact]
    public void A_failing_dpkg_buildpackage_stops_the_build_with_its_status()
    {
        using var ours = new Setup();
        File.WriteAllText(Path.Combine(ours.Root, "bin/dpkg-buildpackage"), "#!/bin/sh\necho \"$*\" >> \"$BUILD_LOG\"\nexit 3\n");
        var o = Tools.Kpk(ours.Work, ours.Env, "build-all");
        Assert.Equal(3, o.Exit);
        Assert.Contains("dpkg-buildpackage -d -us -uc -rfakeroot -tc -I -S exited with status 3", o.Err);
        Assert.Equal("-d -us -uc -rfakeroot -tc -I -S\n", ours.Calls());
    }
}
