using Kpk.Build;
using Kpk.Core;
using Xunit;

namespace Kpk.Build.Tests;

/// <summary>
/// kpk create without building the kernel: the tree is prepared once, and only the objects the
/// change can affect are compiled, found from the user's kbuild records or by asking kbuild.
/// Real gcc, patch, make and ld on the fake kernel tree.
/// </summary>
public class PreparedBuildTests
{
    private const string CmdlineFrom = "seq_puts(m, saved_command_line);";
    private const string CmdlineTo = "seq_printf(m, \"%s kpk\", saved_command_line);";

    private static string CachedObject(string entry, string obj) => Path.Combine(entry, "obj", obj);

    [Fact]
    public void With_the_builds_records_only_the_changed_object_is_compiled()
    {
        using var k = new FakeKernelTree();
        var reporter = new RecordingReporter(verbosity: 1);
        var outcome = k.Create(k.Args(k.MakePatch("a.patch", "fs/proc/cmdline.c", CmdlineFrom, CmdlineTo)), reporter);

        Assert.Equal("prepared", outcome.OriginalBuild);
        Assert.Equal("cmdline_proc_show", Assert.Single(outcome.Functions).Name);
        Assert.DoesNotContain(reporter.Lines, l => l.StartsWith("stage: building the original kernel", StringComparison.Ordinal));
        Assert.Contains(reporter.Lines, l => l.StartsWith("stage: compiling the original object(s) (1,", StringComparison.Ordinal));
        // The cache holds the one original it needed, compiled with the section flags, and nothing else.
        Assert.True(File.Exists(CachedObject(outcome.CacheEntry, "fs/proc/cmdline.o")));
        Assert.Contains(KbuildMake.KernelCFlags, File.ReadAllText(CachedObject(outcome.CacheEntry, "fs/proc/.cmdline.o.cmd")));
        Assert.False(File.Exists(CachedObject(outcome.CacheEntry, "fs/proc/uptime.o")));
        Assert.False(File.Exists(CachedObject(outcome.CacheEntry, "init/version.o")));
        Assert.False(File.Exists(CachedObject(outcome.CacheEntry, "vmlinux")));

        // A second change reuses the prepared tree.
        var second = new RecordingReporter();
        var again = k.Create(k.Args(k.MakePatch("b.patch", "fs/proc/uptime.c", "0.00 0.00", "1.00 1.00")) with { Name = "second" }, second);
        Assert.True(again.CacheReused);
        Assert.Contains(second.Lines, l => l.StartsWith("reusing the prepared kernel build", StringComparison.Ordinal));
        Assert.Equal(["fs/proc/uptime.o"], again.ChangedObjects);
    }

    [Fact]
    public void A_header_change_rebuilds_every_object_that_includes_it_and_patches_each()
    {
        using var k = new FakeKernelTree();
        // Every caller of seq_puts now calls seq_printf: cmdline.o and uptime.o change, version.o does not include seq.h.
        string patch = k.MakePatch("seq.patch", "include/linux/seq.h", "extern char *saved_command_line;",
            "extern char *saved_command_line;\n#define seq_puts(m, s) seq_printf(m, \"%s\", s)");
        var outcome = k.Create(k.Args(patch));
        Assert.Equal(["drivers/demo/demo.o", "fs/proc/cmdline.o", "fs/proc/uptime.o"], outcome.ChangedObjects.Order(StringComparer.Ordinal).ToArray());
        // demo.c includes seq.h but calls only seq_printf: rebuilt, identical, dropped by the diff.
        Assert.Equal([("cmdline_proc_show", "vmlinux"), ("uptime_proc_show", "vmlinux")],
            outcome.Functions.Select(f => (f.Name, f.ParentObject)).Order().ToArray());
    }

    [Fact]
    public void Without_records_kbuild_is_asked_which_objects_include_a_changed_header()
    {
        using var k = new FakeKernelTree();
        string patch = k.MakePatch("seq.patch", "include/linux/seq.h", "extern char *saved_command_line;",
            "extern char *saved_command_line;\n#define seq_puts(m, s) seq_printf(m, \"%s\", s)");
        var reporter = new RecordingReporter(verbosity: 1);
        // --config FILE: no build directory, so no records; Module.symvers is not needed (no MODVERSIONS).
        var outcome = k.Create(k.Args(patch) with { Config = Path.Combine(k.UserBuild, ".config") }, reporter);
        Assert.Equal("prepared", outcome.OriginalBuild);
        Assert.Contains(reporter.Lines, l => l.Contains("include/linux/seq.h: included by 3 source file(s)", StringComparison.Ordinal));
        Assert.Contains(reporter.Lines, l => l.StartsWith("stage: asking kbuild which of them this config builds", StringComparison.Ordinal));
        Assert.Equal(["cmdline_proc_show", "uptime_proc_show"], outcome.Functions.Select(f => f.Name).Order(StringComparer.Ordinal).ToArray());
        Assert.Contains("drivers/demo/demo.o", outcome.ChangedObjects);
    }

    [Fact]
    public void Kbuild_says_which_module_an_object_belongs_to()
    {
        var (compiled, owners) = QueryFake(["drivers/demo", "fs/proc"]);
        Assert.Equal(["drivers/demo/demo.o", "fs/proc/cmdline.o", "fs/proc/uptime.o"], compiled.Order(StringComparer.Ordinal).ToArray());
        var demo = owners["drivers/demo/demo.o"];
        Assert.Equal(("demo", "drivers/demo/demo.ko"), (demo.Name, demo.KoPath));
        Assert.False(owners.ContainsKey("fs/proc/cmdline.o"));
    }

    private static (HashSet<string>, Dictionary<string, Kbuild.ModuleInfo>) QueryFake(string[] dirs)
    {
        using var k = new FakeKernelTree();
        var entry = new CacheEntry(Directory.CreateDirectory(Path.Combine(k.Scratch, "entry")).FullName);
        FakeKernelTree.Run("cp", "-r", k.Tree, entry.SourceDir);
        Directory.CreateDirectory(entry.ObjDir);
        File.Copy(Path.Combine(k.UserBuild, ".config"), Path.Combine(entry.ObjDir, ".config"));
        var make = new KbuildMake(1, null, null, false, null, CancellationToken.None);
        return ObjectPlanner.QueryKbuild(make, entry, dirs, Path.Combine(k.Scratch, "query.log"));
    }

    [Fact]
    public void A_Makefile_change_falls_back_to_the_full_build_saying_why()
    {
        using var k = new FakeKernelTree();
        string patch = k.MakePatchOf("two.patch", "fs/proc/cmdline.c", File.ReadAllText(Path.Combine(k.Tree, "fs/proc/cmdline.c")).Replace(CmdlineFrom, CmdlineTo));
        // A second file in the patch that is not C: kbuild's records cannot say what it affects.
        File.AppendAllText(patch, "--- a/vmlinux.objs\n+++ b/vmlinux.objs\n@@ -1,3 +1,3 @@\n fs/proc/cmdline\n fs/proc/uptime\n-init/version\n+init/version\n");
        var reporter = new RecordingReporter();
        var outcome = k.Create(k.Args(patch), reporter);
        Assert.Equal("full", outcome.OriginalBuild);
        Assert.Contains(reporter.Lines, l => l.StartsWith("building the whole original kernel: the change touches vmlinux.objs", StringComparison.Ordinal));
    }

    [Fact]
    public void Kallsyms_binds_like_the_symbol_table()
    {
        using var k = new FakeKernelTree();
        // The running kernel's /proc/kallsyms, as nm prints the same table in address order.
        string kallsyms = Path.Combine(k.Scratch, "kallsyms");
        File.WriteAllText(kallsyms, Kallsyms(k));
        Directory.CreateDirectory(Path.Combine(k.UserBuild, "include", "config"));
        File.WriteAllText(Path.Combine(k.UserBuild, "include", "config", "kernel.release"), "6.1.0-kpktest\n");
        // Without vmlinux, the config says which compiler built the kernel.
        File.AppendAllText(Path.Combine(k.UserBuild, ".config"), $"CONFIG_CC_VERSION_TEXT=\"{Tool.Run("gcc", ["--version"], null, CancellationToken.None).Output.Split('\n')[0]}\"\n");

        var outcome = k.Create(k.Args(k.MakePatch("a.patch", "fs/proc/cmdline.c", CmdlineFrom, CmdlineTo)) with { Vmlinux = null, Kallsyms = kallsyms });
        var f = Assert.Single(outcome.Functions);
        Assert.Equal(("cmdline_proc_show", 0ul), (f.Name, f.Sympos));
        Assert.Equal("6.1.0-kpktest", outcome.Manifest!.KernelRelease);
        Assert.Null(outcome.Manifest.VmlinuxBuildId);
    }

    [Fact]
    public void Kallsyms_takes_the_release_a_tree_built_in_place_records()
    {
        // ksplice-create's layout: the kernel was built in KERNEL_SOURCE; ORIG_CONFIG holds System.map.
        using var k = new FakeKernelTree();
        string systemMap = Path.Combine(k.Scratch, "System.map");
        File.WriteAllText(systemMap, Kallsyms(k));
        Directory.CreateDirectory(Path.Combine(k.Tree, "include", "config"));
        File.WriteAllText(Path.Combine(k.Tree, "include", "config", "kernel.release"), "6.1.0-intree\n");
        File.AppendAllText(Path.Combine(k.UserBuild, ".config"), $"CONFIG_CC_VERSION_TEXT=\"{Tool.Run("gcc", ["--version"], null, CancellationToken.None).Output.Split('\n')[0]}\"\n");
        var outcome = k.Create(k.Args(k.MakePatch("a.patch", "fs/proc/cmdline.c", CmdlineFrom, CmdlineTo)) with { Vmlinux = null, Kallsyms = systemMap });
        Assert.Equal("6.1.0-intree", outcome.Manifest!.KernelRelease);
    }

    [Fact]
    public void Kallsyms_without_a_release_is_refused_before_building()
    {
        using var k = new FakeKernelTree();
        string kallsyms = Path.Combine(k.Scratch, "kallsyms");
        File.WriteAllText(kallsyms, Kallsyms(k));
        var e = Assert.Throws<KpkException>(() => k.Create(k.Args(k.MakePatch("a.patch", "fs/proc/cmdline.c", CmdlineFrom, CmdlineTo)) with { Vmlinux = null, Kallsyms = kallsyms }));
        Assert.Contains("--kernel RELEASE", e.Message);
        Assert.False(Directory.Exists(Path.Combine(k.Cache, "builds")));
    }

    /// <summary>What /proc/kallsyms would list: nm's defined symbols in address order (undefined ones have no address).</summary>
    private static string Kallsyms(FakeKernelTree k) =>
        string.Join("\n", Tool.Run("nm", ["-n", k.Vmlinux], null, CancellationToken.None).Output.Split('\n').Where(l => l.Length > 0 && l[0] != ' ')) + "\n";

    [Fact]
    public void Kbuild_dry_run_output_names_builtin_objects_compiled_ones_and_module_lists()
    {
        // Lines as Debian 6.1's kbuild prints them under make -n V=1 (shortened): an up-to-date
        // object prints no compile command, but its directory's built-in.a still names it.
        string[] lines =
        [
            "set -e;  echo '  AR      fs/ext4/built-in.a'; rm -f fs/ext4/built-in.a;  printf \"fs/ext4/%s \" balloc.o bitmap.o | xargs ar cDPrST fs/ext4/built-in.a; printf '%s\\n' 'cmd_fs/ext4/built-in.a := x' > fs/ext4/.built-in.a.cmd",
            "set -e;  printf \"fs/%s \" open.o notify/built-in.a | xargs ar cDPrST fs/built-in.a",
            "  gcc-12 -Wp,-MMD,fs/fat/.namei_vfat.o.d -nostdinc -DMODULE -c -o fs/fat/namei_vfat.o /src/fs/fat/namei_vfat.c; ./tools/objtool/objtool --orc fs/fat/namei_vfat.o",
            "set -e; printf '%s\\n'   cache.o dir.o | awk '!x[$0]++ { print(\"fs/fat/\"$0) }' > fs/fat/fat.mod; printf '%s\\n' 'cmd' > fs/fat/.fat.mod.cmd",
            "set -e; printf '%s\\n'   namei_vfat.o | awk '!x[$0]++ { print(\"fs/fat/\"$0) }' > fs/fat/vfat.mod;",
        ];
        var (compiled, owners) = ObjectPlanner.ParseDryRun(lines);
        Assert.Equal(["fs/ext4/balloc.o", "fs/ext4/bitmap.o", "fs/fat/cache.o", "fs/fat/dir.o", "fs/fat/namei_vfat.o", "fs/open.o"],
            compiled.Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(("fat", "fs/fat/fat.ko"), (owners["fs/fat/dir.o"].Name, owners["fs/fat/dir.o"].KoPath));
        Assert.Equal("vfat", owners["fs/fat/namei_vfat.o"].Name);
        Assert.False(owners.ContainsKey("fs/ext4/balloc.o"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_records_name_the_source_root_even_beside_generated_sources(bool outOfTree)
    {
        using var dir = Kpk.Tests.TestPaths.TempDir("kpk-records");
        string build = dir["build"];
        void Record(string obj, string source)
        {
            string cmd = Path.Combine(build, Path.GetDirectoryName(obj)!, "." + Path.GetFileName(obj) + ".cmd");
            Directory.CreateDirectory(Path.GetDirectoryName(cmd)!);
            File.WriteAllText(cmd, $"cmd_{obj} := gcc -c -o {obj} {source}\n\nsource_{obj} := {source}\n\ndeps_{obj} := \\\n");
        }
        // A generated source (an O= build's vdso image) lives in the build directory and is named relatively.
        Record("arch/x86/entry/vdso/vdso-image-64.o", "arch/x86/entry/vdso/vdso-image-64.c");
        Record("mm/page_alloc.o", outOfTree ? "/usr/src/linux/mm/page_alloc.c" : "mm/page_alloc.c");
        Assert.Equal(outOfTree ? "/usr/src/linux" : Path.GetFullPath(build), ObjectPlanner.RecordedSourceRoot(build));
    }
}
