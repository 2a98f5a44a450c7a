using Xunit;

namespace Kpk.Wedge.Tests;

/// <summary>
/// Where kpk deliberately differs from the reference because the reference is wrong: each test
/// shows the reference's behaviour and kpk's.
/// </summary>
public class ImprovementTests
{
    private const string Kernel = Scenarios.Version + "-amd64";

    [Fact]
    public void A_cycle_in_package_dependencies_is_an_error_naming_it()
    {
        using var pair = new FixturePair(f =>
        {
            Scenarios.Standard(f);
            f.Write("cfg/package-list", """
                Package: scsi-modules
                Depends: kernel-image, nic-modules

                Package: nic-modules
                Depends: kernel-image, crc-modules, scsi-modules
                """);
        });
        var (r, o) = pair.Run(["copy-modules", Scenarios.Version, "amd64", Scenarios.Installed]);
        // The reference's tsort complains but the split goes ahead, one package handled before its dependency.
        Assert.Equal(0, r.Exit);
        Assert.Contains("tsort: -: input contains a loop:", r.Err);
        Assert.True(Directory.Exists(pair.Reference[$"work/debian/nic-modules-{Kernel}-di"]));

        Assert.Equal(1, o.Exit);
        Assert.Equal("kpk: $ROOT/cfg/modules/amd64: package dependency cycle: nic-modules -> scsi-modules -> nic-modules\n", o.Err);
        Assert.False(Directory.Exists(pair.Ours["work/debian"] + $"/nic-modules-{Kernel}-di"));
    }

    [Fact]
    public void Find_dups_works_before_the_kernel_image_package_exists()
    {
        using var pair = new FixturePair(f =>
        {
            Scenarios.Standard(f);
            f.Modules($"work/debian/core-modules-{Kernel}-di/lib/modules/{Kernel}", "kernel/lib/libcrc32c.ko", "kernel/a.ko");
            f.Modules($"work/debian/crc-modules-{Kernel}-di/lib/modules/{Kernel}", "kernel/lib/libcrc32c.ko");
        });
        var (r, o) = pair.Run(["find-dups", Kernel]);
        Assert.Equal(0, r.Exit);
        Assert.Equal("", r.Out); // the reference stops at the missing directory: no duplicates found
        Assert.Contains($"cd: debian/kernel-image-{Kernel}-di: No such file or directory", r.Err);

        Assert.Equal(1, o.Exit);
        Assert.Equal($"debian/crc-modules-{Kernel}-di lib/modules/{Kernel}/kernel/lib/libcrc32c.ko\n" +
                     $"debian/core-modules-{Kernel}-di lib/modules/{Kernel}/kernel/lib/libcrc32c.ko\n", o.Out);
        Assert.Equal("some modules are in more than one package\n", o.Err);
    }

    [Fact]
    public void Find_dups_compares_the_first_file_too()
    {
        using var pair = new FixturePair(f =>
        {
            Scenarios.Standard(f);
            f.Write($"work/debian/kernel-image-{Kernel}-di/lib/modules/{Kernel}/modules.builtin", "");
            // kernel/a.ko sorts first of all, and is in two packages.
            f.Modules($"work/debian/core-modules-{Kernel}-di/lib/modules/{Kernel}", "kernel/a.ko", "kernel/b.ko");
            f.Modules($"work/debian/crc-modules-{Kernel}-di/lib/modules/{Kernel}", "kernel/a.ko");
        });
        var (r, o) = pair.Run(["find-dups", Kernel]);
        Assert.Equal(0, r.Exit);
        Assert.Equal("", r.Out); // perl -n already read the first line, which is never compared

        Assert.Equal(1, o.Exit);
        Assert.Equal($"debian/crc-modules-{Kernel}-di lib/modules/{Kernel}/kernel/a.ko\n" +
                     $"debian/core-modules-{Kernel}-di lib/modules/{Kernel}/kernel/a.ko\n", o.Out);
    }

    [Fact]
    public void An_include_reached_twice_through_different_paths_is_fine()
    {
        using var pair = new FixturePair(f =>
        {
            Scenarios.Configuration(f);
            Scenarios.ModuleTree(f);
            f.Write("cfg/modules/amd64/test", "#include \"../../includes/storage\"\n#include \"../../includes/common\"\nsd_mod -");
            f.Write("cfg/includes/storage", "#include \"common\"\nsd_mod\nsr_mod");
            f.Write("cfg/includes/common", "ext4\nsd_mod ?");
            // What the list means, written out: includes replaced by their lines.
            f.Write("cfg/modules/amd64/flat", "ext4\nsd_mod ?\nsd_mod\nsr_mod\next4\nsd_mod ?\nsd_mod -");
        });
        var r = Preprocess(pair.Reference, "test", Tools.Reference);
        Assert.Equal(1, r.Exit);
        Assert.Equal("include loop detected loading $ROOT/cfg/modules/amd64/../../includes/common\n", r.Err);

        var flat = Preprocess(pair.Reference, "flat", Tools.Reference);
        var o = Preprocess(pair.Ours, "test", Tools.Kpk);
        Assert.Equal(0, o.Exit);
        Assert.Equal(flat.Out, o.Out);
        Assert.Equal("kernel/drivers/scsi/sr_mod.ko.xz\nkernel/fs/ext4/ext4.ko\n", o.Out);
    }

    [Theory]
    [InlineData("#include \"loop-b\"", "#include \"loop-a\"")]
    [InlineData("#include \"./loop-b\"", "#include \"../amd64/loop-a\"")] // the same files under other names
    public void A_real_include_cycle_is_an_error_naming_the_chain(string a, string b)
    {
        using var pair = new FixturePair(f =>
        {
            Scenarios.Configuration(f);
            Scenarios.ModuleTree(f);
            f.Write("cfg/modules/amd64/loop-a", $"ext4\n{a}");
            f.Write("cfg/modules/amd64/loop-b", b);
        });
        var r = Preprocess(pair.Reference, "loop-a", Tools.Reference);
        Assert.Equal(1, r.Exit); // "include loop detected", or a path grown until it cannot be read
        var o = Preprocess(pair.Ours, "loop-a", Tools.Kpk);
        Assert.Equal(1, o.Exit);
        string dir = "$ROOT/cfg/modules/amd64/";
        string secondB = b.Contains("../") ? $"{dir}./../amd64/loop-a" : $"{dir}loop-a";
        string first = a.Contains("./") ? $"{dir}./loop-b" : $"{dir}loop-b";
        Assert.Equal($"kpk: include loop: {dir}loop-a -> {first} -> {secondB}\n", o.Err);
        Assert.Equal("", o.Out);
    }

    private static Outcome Preprocess(WedgeFixture f, string list, Func<string, IReadOnlyDictionary<string, string>, string[], Outcome> tool) =>
        FixturePair.Normalize(tool(f.Work, f.Env, ["preprocess", f[$"cfg/modules/amd64/{list}"], f[Scenarios.ModDir]]), f);
}
