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
        { "dot", "empty or \".\" component" },
        { "symlink-absolute", "a symbolic link (to " },
        { "symlink-up", "a symbolic link (to ../../outside)" },
        { "symlink-inside", "a symbolic link (to a.patch)" },
        { "hardlink-up", "a hard link (to ../../outside/secret)" },
        { "hardlink-inside", "a hard link (to kpk-x/a.patch)" },
        { "device", "a device node" },
        { "fifo", "a fifo" },
        { "duplicate", "listed twice" },
        { "below-a-file", "below kpk-x/a.patch, which is a file of the archive" },
        { "file-over-directory", "a directory of that name is already in the archive" },
        { "huge", "more than the 268435456 a file may have" },
    };

    [Theory]
    [MemberData(nameof(EscapingEntries))]
    public void Anything_but_plain_files_and_directories_below_the_top_is_refused_and_nothing_lands_outside(string kind, string expected)
    {
        using var dir = TestPaths.TempDir();
        string archive = dir["evil.tar.gz"];
        string outside = dir["outside"];
        Directory.CreateDirectory(outside);
        string unpack = dir["unpack/inner"];
        byte[] payload = Encoding.ASCII.GetBytes("owned\n");
        Action<TarWriter> entries = w =>
        {
            switch (kind)
            {
                case "dotdot": Fixtures.AddFile(w, "kpk-x/../../outside/evil", payload); break;
                case "absolute": Fixtures.AddFile(w, outside + "/evil", payload); break;
                case "dot": Fixtures.AddFile(w, "kpk-x/./evil", payload); break;
                case "symlink-absolute":
                    w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "kpk-x/link") { LinkName = outside });
                    Fixtures.AddFile(w, "kpk-x/link/evil", payload);
                    break;
                case "symlink-up":
                    w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "kpk-x/link") { LinkName = "../../outside" });
                    Fixtures.AddFile(w, "kpk-x/link/evil", payload);
                    break;
                case "symlink-inside":
                    Fixtures.AddFile(w, "kpk-x/a.patch", payload);
                    w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "kpk-x/b.patch") { LinkName = "a.patch" });
                    break;
                case "hardlink-up":
                    w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "kpk-x/evil") { LinkName = "../../outside/secret" });
                    break;
                case "hardlink-inside":
                    Fixtures.AddFile(w, "kpk-x/a.patch", payload);
                    w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "kpk-x/c.patch") { LinkName = "kpk-x/a.patch" });
                    break;
                case "device":
                    w.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, "kpk-x/mem") { DeviceMajor = 1, DeviceMinor = 1 });
                    break;
                case "fifo":
                    w.WriteEntry(new PaxTarEntry(TarEntryType.Fifo, "kpk-x/pipe"));
                    break;
                case "duplicate":
                    Fixtures.AddFile(w, "kpk-x/manifest.json", payload);
                    Fixtures.AddFile(w, "kpk-x/manifest.json", payload);
                    break;
                case "below-a-file":
                    Fixtures.AddFile(w, "kpk-x/a.patch", payload);
                    Fixtures.AddFile(w, "kpk-x/a.patch/evil", payload);
                    break;
                case "file-over-directory":
                    Fixtures.AddFile(w, "kpk-x/d/a.patch", payload);
                    Fixtures.AddFile(w, "kpk-x/d", payload);
                    break;
            }
        };
        if (kind == "huge") Fixtures.WriteTarballClaimingSize(archive, "kpk-x/big.ko", 300L << 20);
        else Fixtures.WriteTarball(archive, entries);
        File.WriteAllText(Path.Combine(outside, "secret"), "secret\n");
        var e = Assert.Throws<KpkException>(() => SafeTarExtractor.Extract(archive, unpack));
        Assert.Contains(archive, e.Message);
        Assert.Contains("refusing entry", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Equal(["secret"], Directory.GetFileSystemEntries(outside).Select(Path.GetFileName));
        Assert.Equal("secret\n", File.ReadAllText(Path.Combine(outside, "secret")));
        Assert.False(File.Exists(dir["unpack/evil"]));
        Assert.False(File.Exists(dir["evil"]));
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path, "*", SearchOption.AllDirectories).Where(p => new FileInfo(p).LinkTarget != null));
    }

    /// <summary>The attack of issue 16: each link judged by its text stays inside, but followed as the kernel follows it the chain leads out.</summary>
    private static string LinkChainTarball(string dir, string module, string linkedFile)
    {
        string archive = Path.Combine(dir, "kpk-20261122-abc.tar.gz");
        Fixtures.WriteTarball(archive, w =>
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "kpk-20261122-abc/"));
            foreach (string d in new[] { "a/", "a/b/", "a/b/c/", "x/" }) w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "kpk-20261122-abc/" + d));
            w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "kpk-20261122-abc/a/b/c/s") { LinkName = "../../../x" });
            w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "kpk-20261122-abc/" + linkedFile) { LinkName = "a/b/c/s/../../../../outside/" + linkedFile });
            if (linkedFile != PatchManifest.FileName)
                Fixtures.AddFile(w, "kpk-20261122-abc/manifest.json", Encoding.UTF8.GetBytes(Fixtures.Manifest(module).ToJson()));
        });
        return archive;
    }

    [Fact]
    public void Apply_refuses_a_link_chain_leading_to_a_module_outside_and_loads_nothing()
    {
        using var sys = new FakeSystem();
        // The module the chain leads to, beside where the tarball would be unpacked.
        string outside = Path.Combine(sys.Work, "outside");
        Directory.CreateDirectory(outside);
        Fixtures.Module(outside, "kpk_fixture");
        string archive = LinkChainTarball(sys.Work, "kpk_fixture", "kpk_fixture.ko");
        var e = Assert.Throws<KpkException>(() => new PatchApplier(sys.Context()).Apply(archive, TimeSpan.FromSeconds(1), false));
        Assert.Equal($"{archive}: refusing entry \"kpk-20261122-abc/a/b/c/s\": a symbolic link (to ../../../x); a kpk tarball holds only regular files and directories", e.Message);
        Assert.Empty(sys.Kernel.Loaded);
        Assert.Empty(Directory.GetDirectories(Path.GetTempPath(), $"kpk-unpack-{Environment.ProcessId}-*"));
    }

    [Fact]
    public void Info_refuses_a_manifest_that_is_a_link_even_a_dangling_one()
    {
        using var dir = TestPaths.TempDir();
        string chain = LinkChainTarball(dir.Path, "kpk_fixture", PatchManifest.FileName);
        var e = Assert.Throws<KpkException>(() => PatchInfo.Read(chain));
        Assert.Contains("refusing entry \"kpk-20261122-abc/a/b/c/s\"", e.Message);

        string dangling = dir["dangling.tar.gz"];
        Fixtures.WriteTarball(dangling, w =>
            w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "kpk-x/manifest.json") { LinkName = "/etc/passwd" }));
        e = Assert.Throws<KpkException>(() => PatchInfo.Read(dangling));
        Assert.Equal($"{dangling}: refusing entry \"kpk-x/manifest.json\": a symbolic link (to /etc/passwd); a kpk tarball holds only regular files and directories", e.Message);
    }

    [Theory]
    [InlineData("null", "object vmlinux lists no functions")]
    [InlineData("[null]", "object vmlinux: null is not a function name")]
    [InlineData("[]", "object vmlinux lists no functions")]
    public void Apply_and_info_check_the_whole_manifest_before_loading(string functions, string expected)
    {
        using var sys = new FakeSystem();
        string ko = Fixtures.Module(sys.Work, "kpk_fixture");
        string json = $$$"""{"format":1,"id":"m1","name":"kpk_fixture","kernel_release":"{{{Fixtures.Release}}}","objects":{"vmlinux":{{{functions}}}}}""";
        string archive = Path.Combine(sys.Work, "kpk-m1.tar.gz");
        Fixtures.WriteTarball(archive, w =>
        {
            Fixtures.AddFile(w, "kpk-m1/kpk_fixture.ko", File.ReadAllBytes(ko));
            Fixtures.AddFile(w, "kpk-m1/manifest.json", Encoding.UTF8.GetBytes(json));
        });
        var e = Assert.Throws<KpkException>(() => PatchInfo.Read(archive));
        Assert.Equal($"{archive}:kpk-m1/manifest.json: {expected}" + (expected.EndsWith("functions") ? "; a live patch patches at least one" : ""), e.Message);
        e = Assert.Throws<KpkException>(() => new PatchApplier(sys.Context()).Apply(archive, TimeSpan.FromSeconds(1), false));
        Assert.Contains(expected, e.Message);
        Assert.Empty(sys.Kernel.Loaded);
    }

    [Fact]
    public void Errors_about_the_module_of_a_tarball_name_the_tarball_not_the_unpack_directory()
    {
        // Found by the fuzzing harness: the refusal named the private temporary copy.
        using var sys = new FakeSystem();
        string tarball = Fixtures.Tarball(sys.Work, Fixtures.Module(sys.Work, "kpk_fixture", livepatch: false), Fixtures.Manifest("kpk_fixture"));
        var e = Assert.Throws<KpkException>(() => new PatchApplier(sys.Context()).Apply(tarball, TimeSpan.FromSeconds(1), false));
        Assert.Equal($"{tarball}:kpk-20261122-abc/kpk_fixture.ko: module kpk_fixture is not a live patch (.modinfo has no livepatch=Y)", e.Message);
        Assert.Empty(sys.Kernel.Loaded);
    }

    [Fact]
    public void A_manifest_that_is_a_directory_is_named()
    {
        using var dir = TestPaths.TempDir();
        string archive = dir["kpk-x.tar.gz"];
        Fixtures.WriteTarball(archive, w => w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "kpk-x/manifest.json/")));
        var e = Assert.Throws<KpkException>(() => PatchPackage.Open(archive));
        Assert.Equal($"{archive}: no kpk-x/manifest.json (it is a directory)", e.Message);
    }

    [Fact]
    public void Files_of_the_archive_are_read_without_following_a_link_put_there_later()
    {
        using var dir = TestPaths.TempDir();
        string archive = dir["ok.tar.gz"];
        Fixtures.WriteTarball(archive, w => { Fixtures.AddFile(w, "kpk-x/d/a.patch", Encoding.ASCII.GetBytes("patch\n")); Fixtures.AddFile(w, "kpk-x/b.patch", [1]); });
        var unpacked = SafeTarExtractor.Extract(archive, dir["out"]);
        Assert.Equal(["kpk-x/d/a.patch", "kpk-x/b.patch"], unpacked.Files);
        Assert.Equal("patch\n", Encoding.ASCII.GetString(unpacked.ReadAllBytes("kpk-x/d/a.patch")));
        File.WriteAllText(dir["secret"], "secret\n");
        // Swapped for links after unpacking, at the end of the path and in the middle of it: both refused.
        File.Delete(dir["out/kpk-x/b.patch"]);
        File.CreateSymbolicLink(dir["out/kpk-x/b.patch"], dir["secret"]);
        var e = Assert.Throws<KpkException>(() => unpacked.ReadAllBytes("kpk-x/b.patch"));
        Assert.Contains("a symbolic link is on the path", e.Message);
        Directory.Delete(dir["out/kpk-x/d"], true);
        Directory.CreateDirectory(dir["elsewhere"]);
        File.WriteAllText(dir["elsewhere/a.patch"], "secret\n");
        Directory.CreateSymbolicLink(dir["out/kpk-x/d"], dir["elsewhere"]);
        e = Assert.Throws<KpkException>(() => unpacked.ReadAllBytes("kpk-x/d/a.patch"));
        Assert.Contains("a symbolic link is on the path", e.Message);
        Assert.Throws<KpkException>(() => unpacked.ReadAllBytes("kpk-x/elsewhere"));
    }

    [Fact]
    public void Unpacking_needs_a_new_or_empty_directory()
    {
        using var dir = TestPaths.TempDir();
        string archive = dir["ok.tar.gz"];
        Fixtures.WriteTarball(archive, w => Fixtures.AddFile(w, "kpk-x/a.patch", [1]));
        Directory.CreateDirectory(dir["out"]);
        File.WriteAllText(dir["out/old"], "");
        var e = Assert.Throws<KpkException>(() => SafeTarExtractor.Extract(archive, dir["out"]));
        Assert.Contains("the directory is not empty", e.Message);
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
