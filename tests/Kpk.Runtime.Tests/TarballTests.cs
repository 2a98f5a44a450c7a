using System.Formats.Tar;
using System.Text;
using Kpk.Core;
using Kpk.Runtime;
using Kpk.Tests;
using Xunit;

namespace Kpk.Runtime.Tests;

public class TarballTests
{
    [Fact]
    public void Tarball_info_comes_from_the_manifest_and_the_module()
    {
        using var dir = TestPaths.TempDir();
        string ko = Fixtures.Module(dir.Path, "kpk_fixture");
        string tarball = Fixtures.Tarball(dir.Path, ko, Fixtures.Manifest("kpk_fixture", buildId: "00ff"));
        var info = PatchInfo.Read(tarball);
        Assert.Equal("kpk_fixture", info.Name);
        Assert.Equal("20261122-abc", info.Id);
        Assert.Equal("manifest", info.ObjectsFrom);
        Assert.Equal("00ff", info.VmlinuxBuildId);
        Assert.Equal(Fixtures.Release, info.KernelRelease);
        Assert.Equal(Fixtures.Vermagic, info.Vermagic);
        Assert.Equal(["0001-fix.patch"], info.Patches);
        Assert.Equal("fixes cmdline and meminfo", info.Description);
        Assert.Equal(["cmdline_proc_show", "meminfo_proc_show"], info.Objects.Single(o => o.Name == "vmlinux").Functions.Select(f => f.Name));
        // The unpacked copy is private and gone afterwards.
        Assert.Empty(Directory.GetDirectories(Path.GetTempPath(), $"kpk-unpack-{Environment.ProcessId}-*"));
    }

    [Fact]
    public void Bare_module_info_comes_from_the_module()
    {
        using var dir = TestPaths.TempDir();
        var info = PatchInfo.Read(Fixtures.Module(dir.Path, "kpk_fixture", replace: true));
        Assert.Equal("module", info.ObjectsFrom);
        Assert.Null(info.Id);
        Assert.True(info.Replace);
        Assert.Equal(["vmlinux", "ext4"], info.Objects.Select(o => o.Name));
        var text = new StringWriter();
        info.WriteText(text);
        Assert.Contains("meminfo_proc_show,2 -> livepatch_meminfo_proc_show", text.ToString());
        Assert.Contains("object ext4:", text.ToString());
    }

    [Fact]
    public void Manifest_naming_another_module_is_refused()
    {
        using var dir = TestPaths.TempDir();
        string ko = Fixtures.Module(dir.Path, "other_name");
        // The tarball holds kpk-ID/kpk_fixture.ko whose .modinfo says other_name.
        string tarball = Fixtures.Tarball(dir.Path, ko, Fixtures.Manifest("kpk_fixture"));
        var e = Assert.Throws<KpkException>(() => PatchPackage.Open(tarball));
        Assert.Contains("named other_name in its .modinfo but kpk_fixture in the manifest", e.Message);
    }

    [Fact]
    public void Tarball_without_manifest_is_refused()
    {
        using var dir = TestPaths.TempDir();
        string tarball = dir["kpk-x.tar.gz"];
        Fixtures.WriteTarball(tarball, w => Fixtures.AddFile(w, "kpk-x/lp.ko", [1, 2, 3]));
        var e = Assert.Throws<KpkException>(() => PatchPackage.Open(tarball));
        Assert.Contains("no kpk-x/manifest.json", e.Message);
    }

    [Fact]
    public void Truncated_tarball_is_refused_without_a_crash()
    {
        using var dir = TestPaths.TempDir();
        string ko = Fixtures.Module(dir.Path, "kpk_fixture");
        string tarball = Fixtures.Tarball(dir.Path, ko, Fixtures.Manifest("kpk_fixture"));
        byte[] bytes = File.ReadAllBytes(tarball);
        File.WriteAllBytes(tarball, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<KpkException>(() => PatchPackage.Open(tarball));
        Assert.Contains(tarball, e.Message);
    }

    public static TheoryData<string, string> EscapingEntries => new()
    {
        { "dotdot", "path with \"..\"" },
        { "absolute", "absolute path" },
        { "symlink-absolute", "symbolic link to absolute path" },
        { "symlink-up", "points outside the directory" },
        { "hardlink-up", "path with \"..\"" },
        { "through-symlink", "goes through or replaces the link" },
        { "over-symlink", "goes through or replaces the link" },
        { "device", "not allowed" },
    };

    [Theory]
    [MemberData(nameof(EscapingEntries))]
    public void Entries_escaping_the_directory_are_refused_and_nothing_lands_outside(string kind, string expected)
    {
        using var dir = TestPaths.TempDir();
        string archive = dir["evil.tar.gz"];
        string outside = dir["outside"];
        Directory.CreateDirectory(outside);
        string unpack = dir["unpack/inner"];
        Fixtures.WriteTarball(archive, w =>
        {
            byte[] payload = Encoding.ASCII.GetBytes("owned\n");
            switch (kind)
            {
                case "dotdot": Fixtures.AddFile(w, "kpk-x/../../outside/evil", payload); break;
                case "absolute": Fixtures.AddFile(w, outside + "/evil", payload); break;
                case "symlink-absolute":
                    w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "kpk-x/link") { LinkName = outside });
                    Fixtures.AddFile(w, "kpk-x/link/evil", payload);
                    break;
                case "symlink-up":
                    w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "kpk-x/link") { LinkName = "../../outside" });
                    Fixtures.AddFile(w, "kpk-x/link/evil", payload);
                    break;
                case "hardlink-up":
                    w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "kpk-x/evil") { LinkName = "../../outside/secret" });
                    break;
                case "through-symlink":
                    // The link itself stays inside, but a later entry must not be written through it.
                    w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "kpk-x/d") { LinkName = "." });
                    Fixtures.AddFile(w, "kpk-x/d/evil", payload);
                    break;
                case "over-symlink":
                    w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "kpk-x/f") { LinkName = "g" });
                    Fixtures.AddFile(w, "kpk-x/f", payload);
                    break;
                case "device":
                    w.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, "kpk-x/mem") { DeviceMajor = 1, DeviceMinor = 1 });
                    break;
            }
        });
        File.WriteAllText(Path.Combine(outside, "secret"), "secret\n");
        var e = Assert.Throws<KpkException>(() => SafeTarExtractor.Extract(archive, unpack));
        Assert.Contains(archive, e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Equal(["secret"], Directory.GetFileSystemEntries(outside).Select(Path.GetFileName));
        Assert.Equal("secret\n", File.ReadAllText(Path.Combine(outside, "secret")));
        Assert.False(File.Exists(dir["unpack/evil"]));
        Assert.False(File.Exists(dir["evil"]));
    }

    [Fact]
    public void Links_that_stay_inside_are_unpacked()
    {
        using var dir = TestPaths.TempDir();
        string archive = dir["ok.tar.gz"];
        Fixtures.WriteTarball(archive, w =>
        {
            Fixtures.AddFile(w, "kpk-x/a.patch", Encoding.ASCII.GetBytes("patch\n"));
            w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "kpk-x/b.patch") { LinkName = "a.patch" });
            w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "kpk-x/c.patch") { LinkName = "kpk-x/a.patch" });
        });
        SafeTarExtractor.Extract(archive, dir["out"]);
        Assert.Equal("patch\n", File.ReadAllText(dir["out/kpk-x/b.patch"]));
        Assert.Equal("patch\n", File.ReadAllText(dir["out/kpk-x/c.patch"]));
        Assert.Equal("a.patch", new FileInfo(dir["out/kpk-x/b.patch"]).LinkTarget);
    }

    [Fact]
    public void Apply_of_an_escaping_tarball_refuses_before_loading()
    {
        using var sys = new FakeSystem();
        string archive = Path.Combine(sys.Work, "kpk-x.tar.gz");
        Fixtures.WriteTarball(archive, w => Fixtures.AddFile(w, "kpk-x/../../../etc/evil", [1]));
        var e = Assert.Throws<KpkException>(() => new PatchApplier(sys.Context()).Apply(archive, TimeSpan.FromSeconds(1), false));
        Assert.Contains("refusing entry", e.Message);
        Assert.Empty(sys.Kernel.Loaded);
        Assert.False(File.Exists(sys.Root.Resolve("/etc/evil")));
    }
}
