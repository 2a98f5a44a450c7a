using System.Text;
using Kpk.Core;
using Kpk.Runtime;
using Kpk.Tests;
using Xunit;

namespace Kpk.Runtime.Tests;

public class ModuleReadingTests
{
    [Fact]
    public void ModInfo_parses_keys_padding_and_repeats()
    {
        var info = ModInfo.Parse("name=lp\0\0\0vermagic=6.1.0-18-amd64 SMP mod_unload \0alias=a\0alias=b\0livepatch=Y\0"u8, "x.ko");
        Assert.Equal("lp", info.Name);
        Assert.Equal("6.1.0-18-amd64", info.KernelRelease);
        Assert.True(info.IsLivepatch);
        Assert.Equal(["a", "b"], info.Entries.Where(e => e.Key == "alias").Select(e => e.Value));
    }

    [Fact]
    public void ModInfo_entry_without_equals_is_refused_naming_the_file()
    {
        var e = Assert.Throws<KpkException>(() => ModInfo.Parse("name=lp\0garbage\0"u8, "bad.ko"));
        Assert.Contains("bad.ko", e.Message);
        Assert.Contains("\"garbage\"", e.Message);
    }

    [Theory]
    [InlineData("-O2")]
    [InlineData("-O0")]
    [InlineData("-O2 -ffunction-sections -fdata-sections")]
    [InlineData("-O2 -g")] // .debug_info points at the structures too; it must not add objects
    public void Klp_structures_give_objects_functions_sympos_and_replace(string cflags)
    {
        using var dir = TestPaths.TempDir();
        var module = LivePatchModule.Read(Fixtures.Module(dir.Path, "kpk_fixture", cflags: cflags, replace: true));
        Assert.Equal("kpk_fixture", module.Name);
        Assert.Equal(Fixtures.Release, module.KernelRelease);
        Assert.True(module.IsLivepatch);
        Assert.Equal("fixture patch", module.Description);
        Assert.True(module.Replace);
        Assert.Equal(["vmlinux", "ext4"], module.Objects.Select(o => o.Name));
        Assert.Equal(
            [new PatchedFunction("cmdline_proc_show", 0, "livepatch_cmdline_proc_show"), new PatchedFunction("meminfo_proc_show", 2, "livepatch_meminfo_proc_show")],
            module.Objects[0].Functions);
        Assert.Equal([new PatchedFunction("ext4_sync_fs", 0, "livepatch_ext4_sync_fs")], module.Objects[1].Functions);
        Assert.Equal("meminfo_proc_show,2", module.Objects[0].Functions[1].SysfsName);
        Assert.Equal("cmdline_proc_show,1", module.Objects[0].Functions[0].SysfsName);
    }

    [Fact]
    public void Replace_false_is_read_as_false()
    {
        using var dir = TestPaths.TempDir();
        Assert.False(LivePatchModule.Read(Fixtures.Module(dir.Path, "lp", replace: false)).Replace);
    }

    [Fact]
    public void Kpatch_funcs_table_is_read_when_there_are_no_klp_structures()
    {
        using var dir = TestPaths.TempDir();
        var module = LivePatchModule.Read(Fixtures.Module(dir.Path, "kpatch_x", source: "kpatch_funcs.c"));
        Assert.Null(module.Replace);
        Assert.Equal(["vmlinux", "nfs"], module.Objects.Select(o => o.Name));
        Assert.Equal([new PatchedFunction("cmdline_proc_show")], module.Objects[0].Functions);
        Assert.Equal([new PatchedFunction("nfs_readdir", 3)], module.Objects[1].Functions);
    }

    [Fact]
    public void Object_without_modinfo_is_refused()
    {
        using var dir = TestPaths.TempDir();
        string obj = dir["plain.o"];
        Fixtures.Run("gcc", $"-c -o {obj} {Fixtures.Source("klp_patch.c")} -DREPLACE=0");
        var e = Assert.Throws<KpkException>(() => LivePatchModule.Read(obj));
        Assert.Contains("plain.o: no .modinfo section", e.Message);
    }

    [Fact]
    public void Non_elf_is_refused_by_name()
    {
        using var dir = TestPaths.TempDir();
        File.WriteAllText(dir["notes.txt"], "hello");
        var e = Assert.Throws<KpkException>(() => PatchPackage.Open(dir["notes.txt"]));
        Assert.Contains("notes.txt: neither a kernel module", e.Message);
    }

    [Fact]
    public void Build_id_note_is_found_after_other_notes()
    {
        using var notes = new MemoryStream();
        FakeSystem.WriteNote(notes, "Xen", 1, [9, 9, 9]);
        FakeSystem.WriteNote(notes, "GNU", 1, [1, 2, 3, 4]); // GNU ABI tag, not a build id
        FakeSystem.WriteNote(notes, "GNU", 3, Convert.FromHexString("0011223344556677889900aabbccddeeff001122"));
        Assert.Equal("0011223344556677889900aabbccddeeff001122", ElfNotes.FindGnuBuildId(notes.ToArray()));
        Assert.Null(ElfNotes.FindGnuBuildId(notes.ToArray().AsSpan(0, (int)notes.Length - 8)));
    }

    [Fact]
    public void Build_id_matches_readelf_on_a_linked_binary()
    {
        using var dir = TestPaths.TempDir();
        File.WriteAllText(dir["m.c"], "int main(void) { return 0; }\n");
        Fixtures.Run("gcc", $"-Wl,--build-id=sha1 -o {dir["m"]} {dir["m.c"]}");
        Fixtures.Run("objcopy", $"-O binary --only-section=.note.gnu.build-id {dir["m"]} {dir["notes"]}");
        string readelf = Fixtures.Run("readelf", $"-n {dir["m"]}");
        string expected = readelf.Split('\n').Single(l => l.Contains("Build ID:")).Split("Build ID:")[1].Trim();
        Assert.Equal(expected, ElfNotes.FindGnuBuildId(File.ReadAllBytes(dir["notes"])));
    }

    [Fact]
    public void Manifest_json_uses_snake_case_and_round_trips()
    {
        var manifest = Fixtures.Manifest("lp", buildId: "abcdef");
        string json = manifest.ToJson();
        foreach (string key in new[] { "\"format\": 1", "\"id\":", "\"name\":", "\"description\":", "\"kernel_release\":", "\"vmlinux_build_id\":",
                     "\"compiler\":", "\"replace\": false", "\"objects\":", "\"vmlinux\":", "\"ext4\":", "\"kpk_version\":", "\"created\":" })
            Assert.Contains(key, json);
        var back = PatchManifest.Parse(json, "m.json");
        Assert.Equal(manifest.Id, back.Id);
        Assert.Equal(manifest.KernelRelease, back.KernelRelease);
        Assert.Equal(manifest.VmlinuxBuildId, back.VmlinuxBuildId);
        Assert.Equal(manifest.Created, back.Created);
        Assert.Equal(manifest.Objects["vmlinux"], back.Objects["vmlinux"]);
    }

    [Theory]
    [InlineData("""{"format":1,"name":"lp","kernel_release":"6.1","objects":{"vmlinux":["f"]}}""", "id")]
    [InlineData("""{"format":1,"id":"x","name":"lp","kernel_release":"","objects":{"vmlinux":["f"]}}""", "kernel_release is missing or empty")]
    [InlineData("""{"format":2,"id":"x","name":"lp","kernel_release":"6.1","objects":{"vmlinux":["f"]}}""", "format 2 is not supported")]
    [InlineData("""{"format":1,"id":"x","name":"lp","kernel_release":"6.1","objects":{}}""", "objects is missing or empty")]
    [InlineData("""{"format":1,"id":"x","name":"lp","kernel_release":"6.1","objects":null}""", "objects is missing or empty")]
    [InlineData("""{"format":1,"id":"x","name":"lp","kernel_release":"6.1"}""", "objects")]
    [InlineData("""{"format":1,"id":"x","name":"lp","kernel_release":"6.1","objects":{"vmlinux":null}}""", "object vmlinux lists no functions")]
    [InlineData("""{"format":1,"id":"x","name":"lp","kernel_release":"6.1","objects":{"vmlinux":[]}}""", "object vmlinux lists no functions")]
    [InlineData("""{"format":1,"id":"x","name":"lp","kernel_release":"6.1","objects":{"vmlinux":[null]}}""", "object vmlinux: null is not a function name")]
    [InlineData("""{"format":1,"id":"x","name":"lp","kernel_release":"6.1","objects":{"vmlinux":[""]}}""", "object vmlinux: \"\" is not a function name")]
    [InlineData("""{"format":1,"id":"x","name":"lp","kernel_release":"6.1","objects":{"vmlinux":["a b"]}}""", "\"a b\" is not a function name")]
    [InlineData("""{"format":1,"id":"x","name":"lp","kernel_release":"6.1","objects":{"vmlinux":["f","f"]}}""", "function f is listed twice")]
    [InlineData("""{"format":1,"id":"x","name":"lp","kernel_release":"6.1","objects":{"../etc":["f"]}}""", "object \"../etc\" is neither vmlinux nor a module name")]
    [InlineData("""{"format":1,"id":"x","name":"lp","kernel_release":"6.1","objects":{"":["f"]}}""", "object \"\" is neither")]
    [InlineData("""{"format":1,"id":"x","name":"lp","kernel_release":"6.1","objects":{"vmlinux":"f"}}""", "not a valid kpk manifest")]
    [InlineData("""{"format":1,"id":"x","id":"y","name":"lp","kernel_release":"6.1","objects":{"vmlinux":["f"]}}""", "not a valid kpk manifest")]
    [InlineData("""{"format":1,"id":"x","name":"lp","kernel_release":"6.1","objects":{"vmlinux":["f"],"vmlinux":["g"]}}""", "not a valid kpk manifest")]
    [InlineData("""{"format":1,"id":7,"name":"lp","kernel_release":"6.1","objects":{"vmlinux":["f"]}}""", "not a valid kpk manifest")]
    [InlineData("null", "empty manifest")]
    [InlineData("[]", "not a valid kpk manifest")]
    [InlineData("""{"format":1,"id":"../x","name":"lp","kernel_release":"6.1","objects":{"vmlinux":["f"]}}""", "id \"../x\"")]
    [InlineData("{\n\"format\": 1,\n\"id\": ", "line")]
    public void Bad_manifest_is_refused_naming_the_problem(string json, string expected)
    {
        // Each case is one edit away from a valid manifest, so the check itself is what refuses it.
        var e = Assert.Throws<KpkException>(() => PatchManifest.Parse(json, "kpk-x/manifest.json"));
        Assert.Contains("kpk-x/manifest.json", e.Message);
        Assert.Contains(expected, e.Message);
    }
}
