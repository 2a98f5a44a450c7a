using System.Diagnostics;
using System.IO.Compression;
using System.Text.RegularExpressions;
using Kpk.Core;
using Kpk.Runtime.WeakUpdates;
using Kpk.Tests;
using Xunit;

namespace Kpk.Runtime.Tests;

/// <summary>
/// A root with kernels in /lib/modules: their symvers are Debian's 6.1.0-57-cloud-amd64 headers'
/// Module.symvers, as is or with one CRC changed, and real modules built against those headers.
/// </summary>
public sealed class WeakUpdatesRoot : IDisposable
{
    public const string Built = OutOfTreeModules.Release, Same = "6.1.0-58-cloud-amd64", Changed = "6.1.0-59-cloud-amd64";
    private readonly TempDir _dir = TestPaths.TempDir("kpk-weak");

    public string Path => _dir.Path;
    public SystemRoot Root => new(_dir.Path);
    public string ModulesDir(string release) => System.IO.Path.Combine(_dir.Path, "lib", "modules", release);
    public string Link(string release, string module) => System.IO.Path.Combine(ModulesDir(release), "weak-updates", "updates", "kmp", module + ".ko");

    public static string[] SymversLines => File.ReadAllLines(OutOfTreeModules.HeadersSymvers);

    /// <summary>A kernel whose exports are <paramref name="symvers"/>, installed as symvers.gz (as SUSE's kernels do) or as build/Module.symvers.</summary>
    public void AddKernel(string release, IEnumerable<string>? symvers = null, bool gzip = true)
    {
        string dir = ModulesDir(release);
        Directory.CreateDirectory(System.IO.Path.Combine(dir, "kernel"));
        string text = string.Join('\n', symvers ?? SymversLines) + "\n";
        if (gzip)
        {
            using var gz = new GZipStream(File.Create(System.IO.Path.Combine(dir, "symvers.gz")), CompressionLevel.Fastest);
            using var w = new StreamWriter(gz);
            w.Write(text);
        }
        else
        {
            Directory.CreateDirectory(System.IO.Path.Combine(dir, "build"));
            File.WriteAllText(System.IO.Path.Combine(dir, "build", "Module.symvers"), text);
        }
    }

    /// <summary>The symvers with one symbol's CRC replaced.</summary>
    public static IEnumerable<string> WithCrc(string symbol, string crc) =>
        SymversLines.Select(l => l.Split('\t') is [_, var name, ..] f && name == symbol ? crc + l[f[0].Length..] : l);

    /// <summary>Installs a built module in RELEASE's updates/kmp/ and returns its path inside the root.</summary>
    public string Install(string release, string name, string? from = null)
    {
        string relative = $"/lib/modules/{release}/updates/kmp/{name}.ko";
        string file = Root.Resolve(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        File.Copy(from ?? OutOfTreeModules.Module(name), file, overwrite: true);
        return relative;
    }

    public string? LinkTarget(string release, string module) => new FileInfo(Link(release, module)).LinkTarget;

    public void Dispose() => _dir.Dispose();
}

public class WeakUpdatesTests
{
    private static (WeakUpdater Updater, StringWriter Log) Updater(WeakUpdatesRoot root, bool dryRun = false, bool depmod = true) =>
        Updater(root.Root, dryRun, depmod);

    private static (WeakUpdater, StringWriter) Updater(SystemRoot root, bool dryRun, bool depmod)
    {
        var log = new StringWriter();
        return (new WeakUpdater(root, new WeakUpdatesOptions { DryRun = dryRun, Depmod = depmod ? new Depmod() : null }, new TextReporter(log, 1)), log);
    }

    private static string Dep(WeakUpdatesRoot root, string release) => File.ReadAllText(Path.Combine(root.ModulesDir(release), "modules.dep"));

    [Fact]
    public void A_module_is_linked_into_kernels_with_the_same_crcs_and_not_where_one_differs()
    {
        using var root = new WeakUpdatesRoot();
        root.AddKernel(WeakUpdatesRoot.Built);
        root.AddKernel(WeakUpdatesRoot.Same);
        root.AddKernel(WeakUpdatesRoot.Changed, WeakUpdatesRoot.WithCrc("kfree", "0x12345678"), gzip: false);
        string a = root.Install(WeakUpdatesRoot.Built, "kpk_kmp_a"), b = root.Install(WeakUpdatesRoot.Built, "kpk_kmp_b");
        var (updater, log) = Updater(root);

        updater.AddModules([a, b]);

        string text = log.ToString();
        Assert.Equal("../../../../6.1.0-57-cloud-amd64/updates/kmp/kpk_kmp_a.ko", root.LinkTarget(WeakUpdatesRoot.Same, "kpk_kmp_a"));
        Assert.True(File.Exists(root.Link(WeakUpdatesRoot.Same, "kpk_kmp_b")));
        Assert.False(File.Exists(root.Link(WeakUpdatesRoot.Changed, "kpk_kmp_a")));
        Assert.False(File.Exists(root.Link(WeakUpdatesRoot.Changed, "kpk_kmp_b")));
        // The reason names the symbol and both CRCs: the changed one and the one in the module's __versions.
        string realCrc = WeakUpdatesRoot.SymversLines.Single(l => l.Split('\t')[1] == "kfree").Split('\t')[0];
        Assert.Contains($"{WeakUpdatesRoot.Changed}: {a}: not compatible: kfree has CRC 0x12345678 in /lib/modules/{WeakUpdatesRoot.Changed}/build/Module.symvers, " +
                        $"the module was built against 0x{Convert.ToUInt32(realCrc, 16):x8}", text);
        Assert.Contains($"{WeakUpdatesRoot.Changed}: {b}: not compatible: kpk_kmp_value comes from {a}, which is not linked", text);
        Assert.Contains($"{WeakUpdatesRoot.Same}: {a}: compatible", text);
        // The module's own kernel gets no links; depmod ran for the kernel that changed, with the search order.
        Assert.False(Directory.Exists(Path.Combine(root.ModulesDir(WeakUpdatesRoot.Built), "weak-updates")));
        Assert.Contains("weak-updates/updates/kmp/kpk_kmp_b.ko: weak-updates/updates/kmp/kpk_kmp_a.ko", Dep(root, WeakUpdatesRoot.Same));
        Assert.False(File.Exists(Path.Combine(root.ModulesDir(WeakUpdatesRoot.Changed), "modules.dep")));
        Assert.Equal(DepmodSearchOrder.Text, File.ReadAllText(root.Root.Resolve(DepmodSearchOrder.File)));
    }

    [Fact]
    public void Depmod_prefers_the_weak_updates_link_over_the_kernels_own_copy()
    {
        using var root = new WeakUpdatesRoot();
        root.AddKernel(WeakUpdatesRoot.Built);
        root.AddKernel(WeakUpdatesRoot.Same);
        Directory.CreateDirectory(Path.Combine(root.ModulesDir(WeakUpdatesRoot.Same), "kernel", "kmp"));
        File.Copy(OutOfTreeModules.Module("kpk_kmp_a"), Path.Combine(root.ModulesDir(WeakUpdatesRoot.Same), "kernel", "kmp", "kpk_kmp_a.ko"));
        string a = root.Install(WeakUpdatesRoot.Built, "kpk_kmp_a");

        Updater(root).Updater.AddModules([a]);

        var lines = Dep(root, WeakUpdatesRoot.Same).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["weak-updates/updates/kmp/kpk_kmp_a.ko:"], lines);
    }

    [Fact]
    public void A_kernel_with_its_own_copy_in_updates_or_of_another_flavour_gets_no_link()
    {
        using var root = new WeakUpdatesRoot();
        root.AddKernel(WeakUpdatesRoot.Built);
        root.AddKernel(WeakUpdatesRoot.Same);
        root.AddKernel("6.1.0-57-rt-amd64x");
        root.Install(WeakUpdatesRoot.Same, "kpk_kmp_a");
        string a = root.Install(WeakUpdatesRoot.Built, "kpk_kmp_a");
        var (updater, log) = Updater(root, depmod: false);

        updater.AddModules([a]);

        Assert.False(File.Exists(root.Link(WeakUpdatesRoot.Same, "kpk_kmp_a")));
        Assert.False(File.Exists(root.Link("6.1.0-57-rt-amd64x", "kpk_kmp_a")));
        Assert.Contains($"{WeakUpdatesRoot.Same}: {a}: not compatible: {WeakUpdatesRoot.Same} has its own updates/kmp/kpk_kmp_a.ko", log.ToString());
        Assert.Contains($"6.1.0-57-rt-amd64x: {a}: not compatible: built for flavour amd64 ({WeakUpdatesRoot.Built}), 6.1.0-57-rt-amd64x is amd64x", log.ToString());
    }

    [Fact]
    public void Without_modversions_names_are_enough_and_a_missing_export_is_named()
    {
        using var root = new WeakUpdatesRoot();
        root.AddKernel(WeakUpdatesRoot.Built);
        root.AddKernel(WeakUpdatesRoot.Changed, WeakUpdatesRoot.WithCrc("_printk", "0x00000001"));
        root.AddKernel("6.1.0-60-cloud-amd64", WeakUpdatesRoot.SymversLines.Where(l => l.Split('\t')[1] != "_printk"));
        using var tmp = TestPaths.TempDir("kpk-nover");
        string stripped = tmp["kpk_kmp_c.ko"];
        // Renamed rather than removed: its section symbol stays referenced. The loader then sees no versions.
        OutOfTreeModules.Run("objcopy", "--rename-section=__versions=.kpk_no_versions", OutOfTreeModules.Module("kpk_kmp_c"), stripped);
        string c = root.Install(WeakUpdatesRoot.Built, "kpk_kmp_c", stripped);
        var (updater, log) = Updater(root, depmod: false);

        updater.AddModules([c]);

        Assert.True(File.Exists(root.Link(WeakUpdatesRoot.Changed, "kpk_kmp_c")));
        Assert.Contains("(no __versions: names only)", log.ToString());
        Assert.False(File.Exists(root.Link("6.1.0-60-cloud-amd64", "kpk_kmp_c")));
        Assert.Contains($"6.1.0-60-cloud-amd64: {c}: not compatible: _printk is not exported by 6.1.0-60-cloud-amd64", log.ToString());
    }

    [Fact]
    public void Add_kernel_links_what_fits_and_removes_stale_and_dangling_links()
    {
        using var root = new WeakUpdatesRoot();
        root.AddKernel(WeakUpdatesRoot.Built);
        root.AddKernel(WeakUpdatesRoot.Same);
        string a = root.Install(WeakUpdatesRoot.Built, "kpk_kmp_a"), b = root.Install(WeakUpdatesRoot.Built, "kpk_kmp_b");
        Updater(root).Updater.AddModules([a, b]);
        Assert.True(File.Exists(root.Link(WeakUpdatesRoot.Same, "kpk_kmp_b")));
        // The kernel is updated in place with a changed kfree, and a link to a module long gone is left over.
        File.Delete(Path.Combine(root.ModulesDir(WeakUpdatesRoot.Same), "symvers.gz"));
        root.AddKernel(WeakUpdatesRoot.Same, WeakUpdatesRoot.WithCrc("kfree", "0x0badc0de"));
        File.CreateSymbolicLink(root.Link(WeakUpdatesRoot.Same, "gone"), "../../../../6.1.0-57-cloud-amd64/updates/kmp/gone.ko");
        // And a new kernel arrives.
        root.AddKernel("6.1.0-61-cloud-amd64");
        var (updater, log) = Updater(root);

        updater.AddKernel(WeakUpdatesRoot.Same);
        updater.AddKernel("6.1.0-61-cloud-amd64");

        Assert.False(File.Exists(root.Link(WeakUpdatesRoot.Same, "kpk_kmp_a")));
        Assert.False(File.Exists(root.Link(WeakUpdatesRoot.Same, "kpk_kmp_b")));
        Assert.Null(new FileInfo(root.Link(WeakUpdatesRoot.Same, "gone")).LinkTarget);
        Assert.Contains("removing weak-updates/updates/kmp/kpk_kmp_a.ko -> ../../../../6.1.0-57-cloud-amd64/updates/kmp/kpk_kmp_a.ko (stale: kfree has CRC 0x0badc0de", log.ToString());
        Assert.Contains("removing weak-updates/updates/kmp/gone.ko -> ../../../../6.1.0-57-cloud-amd64/updates/kmp/gone.ko (dangling", log.ToString());
        Assert.Equal("", Dep(root, WeakUpdatesRoot.Same).Trim());
        Assert.True(File.Exists(root.Link("6.1.0-61-cloud-amd64", "kpk_kmp_b")));
        Assert.Contains("kpk_kmp_b.ko: weak-updates/updates/kmp/kpk_kmp_a.ko", Dep(root, "6.1.0-61-cloud-amd64"));
    }

    [Fact]
    public void The_newest_kernels_copy_of_a_module_is_linked_and_removing_it_links_the_next()
    {
        using var root = new WeakUpdatesRoot();
        root.AddKernel(WeakUpdatesRoot.Built);
        root.AddKernel(WeakUpdatesRoot.Same);
        root.AddKernel("6.1.0-100-cloud-amd64");
        string older = root.Install(WeakUpdatesRoot.Built, "kpk_kmp_c"), newer = root.Install(WeakUpdatesRoot.Same, "kpk_kmp_c");
        var (updater, log) = Updater(root, depmod: false);
        updater.AddModules([older, newer]);
        Assert.Equal("../../../../6.1.0-58-cloud-amd64/updates/kmp/kpk_kmp_c.ko", root.LinkTarget("6.1.0-100-cloud-amd64", "kpk_kmp_c"));
        Assert.Contains($"6.1.0-100-cloud-amd64: {older}: not compatible: {newer} is linked for kpk_kmp_c.ko instead", log.ToString());

        File.Delete(root.Root.Resolve(newer));
        updater.RemoveModules([newer]);

        Assert.Equal("../../../../6.1.0-57-cloud-amd64/updates/kmp/kpk_kmp_c.ko", root.LinkTarget("6.1.0-100-cloud-amd64", "kpk_kmp_c"));
        // The kernel whose own copy went away now gets the other kernel's.
        Assert.Equal("../../../../6.1.0-57-cloud-amd64/updates/kmp/kpk_kmp_c.ko", root.LinkTarget(WeakUpdatesRoot.Same, "kpk_kmp_c"));
    }

    [Fact]
    public void Remove_modules_removes_their_links_even_before_the_files_go()
    {
        using var root = new WeakUpdatesRoot();
        root.AddKernel(WeakUpdatesRoot.Built);
        root.AddKernel(WeakUpdatesRoot.Same);
        string a = root.Install(WeakUpdatesRoot.Built, "kpk_kmp_a"), c = root.Install(WeakUpdatesRoot.Built, "kpk_kmp_c");
        var (updater, _) = Updater(root);
        updater.AddModules([a, c]);

        updater.RemoveModules([c]);

        Assert.True(File.Exists(root.Link(WeakUpdatesRoot.Same, "kpk_kmp_a")));
        Assert.False(File.Exists(root.Link(WeakUpdatesRoot.Same, "kpk_kmp_c")));
        Assert.DoesNotContain("kpk_kmp_c", Dep(root, WeakUpdatesRoot.Same));
    }

    [Fact]
    public void Remove_kernel_removes_its_weak_updates_and_links_into_it_that_would_dangle()
    {
        using var root = new WeakUpdatesRoot();
        root.AddKernel(WeakUpdatesRoot.Built);
        root.AddKernel(WeakUpdatesRoot.Same);
        string c = root.Install(WeakUpdatesRoot.Same, "kpk_kmp_c");
        var (updater, _) = Updater(root, depmod: false);
        updater.AddModules([c]);
        Assert.True(File.Exists(root.Link(WeakUpdatesRoot.Built, "kpk_kmp_c")));

        Directory.Delete(root.ModulesDir(WeakUpdatesRoot.Same), recursive: true); // the kernel and its module package are gone
        updater.RemoveKernel(WeakUpdatesRoot.Same);
        updater.RemoveKernel(WeakUpdatesRoot.Built);

        Assert.False(Directory.Exists(Path.Combine(root.ModulesDir(WeakUpdatesRoot.Built), "weak-updates")));
        Assert.True(File.Exists(Path.Combine(root.ModulesDir(WeakUpdatesRoot.Built), "symvers.gz")));
    }

    [Fact]
    public void Dry_run_changes_nothing_and_says_what_it_would_do()
    {
        using var root = new WeakUpdatesRoot();
        root.AddKernel(WeakUpdatesRoot.Built);
        root.AddKernel(WeakUpdatesRoot.Same);
        string a = root.Install(WeakUpdatesRoot.Built, "kpk_kmp_a");
        var (updater, log) = Updater(root, dryRun: true);

        updater.AddModules([a]);

        Assert.False(Directory.Exists(Path.Combine(root.ModulesDir(WeakUpdatesRoot.Same), "weak-updates")));
        Assert.False(File.Exists(Path.Combine(root.ModulesDir(WeakUpdatesRoot.Same), "modules.dep")));
        Assert.False(File.Exists(root.Root.Resolve(DepmodSearchOrder.File)));
        Assert.Contains($"{WeakUpdatesRoot.Same}: linking weak-updates/updates/kmp/kpk_kmp_a.ko", log.ToString());
        Assert.Contains($"{WeakUpdatesRoot.Same}: would run depmod -b {root.Path}", log.ToString());
    }

    [Theory]
    [InlineData("/lib/modules/6.1.0-57-cloud-amd64/kernel/kmp/kpk_kmp_a.ko", "not a module below /lib/modules/RELEASE/updates/")]
    [InlineData("/lib/modules/6.1.0-57-cloud-amd64/updates/../kernel/x.ko", "not a module below")]
    [InlineData("/lib/modules/6.1.0-57-cloud-amd64/updates/kmp/missing.ko", "no such module")]
    public void Bad_module_paths_are_refused_before_anything_changes(string path, string message)
    {
        using var root = new WeakUpdatesRoot();
        root.AddKernel(WeakUpdatesRoot.Built);
        root.AddKernel(WeakUpdatesRoot.Same);
        string a = root.Install(WeakUpdatesRoot.Built, "kpk_kmp_a");
        var e = Assert.Throws<KpkException>(() => Updater(root).Updater.AddModules([a, path]));
        Assert.Contains(path, e.Message);
        Assert.Contains(message, e.Message);
        Assert.False(Directory.Exists(Path.Combine(root.ModulesDir(WeakUpdatesRoot.Same), "weak-updates")));
    }

    [Fact]
    public void The_cli_reads_paths_from_stdin_and_fails_cleanly_on_a_bad_mode()
    {
        using var root = new WeakUpdatesRoot();
        root.AddKernel(WeakUpdatesRoot.Built);
        root.AddKernel(WeakUpdatesRoot.Same);
        string a = root.Install(WeakUpdatesRoot.Built, "kpk_kmp_a");

        var (exit, output, error) = RunKpk(a + "\n", "weak-updates", "--add-modules", "--root", root.Path);
        Assert.True(exit == 0, error);
        Assert.Contains($"{WeakUpdatesRoot.Same}: running depmod -b {root.Path}", output);
        Assert.True(File.Exists(root.Link(WeakUpdatesRoot.Same, "kpk_kmp_a")));

        (exit, _, error) = RunKpk("", "weak-updates", "--add-kernel", WeakUpdatesRoot.Same, "--add-modules", "--root", root.Path);
        Assert.NotEqual(0, exit);
        Assert.Contains("give exactly one of", error);
        Assert.DoesNotContain("   at ", error);
        (exit, _, error) = RunKpk("", "weak-updates", "--add-kernel", "9.9-none", "--root", root.Path);
        Assert.NotEqual(0, exit);
        Assert.Contains("kernel 9.9-none is not installed", error);
    }

    private static (int, string, string) RunKpk(string stdin, params string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(TestPaths.RepoRoot, "kpk")) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, err.Result);
    }
}

public class ModuleSymbolsTests
{
    [Fact]
    public void Versions_are_read_as_modprobe_dumps_them_and_exports_carry_their_crc()
    {
        foreach (string name in OutOfTreeModules.Names)
        {
            var symbols = ModuleSymbols.Read(OutOfTreeModules.Module(name));
            string dumped = OutOfTreeModules.Run("modprobe", "--dump-modversions", OutOfTreeModules.Module(name));
            var expected = dumped.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).Select(f => $"{Convert.ToUInt32(f[0], 16):x8} {f[1]}");
            Assert.True(symbols.HasVersions);
            Assert.Equal(expected, symbols.Imports.Select(i => $"{i.Crc:x8} {i.Name}"));
        }
        // b was built against a's export: the CRC in b's __versions is the one a carries in __kcrctab.
        var a = ModuleSymbols.Read(OutOfTreeModules.Module("kpk_kmp_a"));
        var b = ModuleSymbols.Read(OutOfTreeModules.Module("kpk_kmp_b"));
        Assert.Equal(["kpk_kmp_value"], a.Exports.Keys);
        Assert.Equal(b.Imports.Single(i => i.Name == "kpk_kmp_value").Crc, a.Exports["kpk_kmp_value"]);
        Assert.Equal("external", a.Info["supported"]);
    }

    // A small file that unpacks to more than any module (a "bomb") is refused before it is all
    // in memory; the test sets the bound low, kpk's is CompressedFile.MaxUnpacked.
    [Theory]
    [InlineData("xz", ".xz")]
    [InlineData("zstd", ".zst")]
    [InlineData("gzip", ".gz")]
    public void A_file_that_unpacks_past_the_bound_is_refused_naming_it(string tool, string suffix)
    {
        using var dir = TestPaths.TempDir();
        string compressed = CompressedModule(dir.Path, tool, suffix);
        long size = new FileInfo(OutOfTreeModules.Module("kpk_kmp_a")).Length;
        var e = Assert.Throws<KpkException>(() => Kpk.Core.Compression.CompressedFile.ReadAllBytes(compressed, size / 4));
        Assert.Contains(compressed, e.Message);
        Assert.Contains("more than any kernel module", e.Message);
        Assert.Equal(size, Kpk.Core.Compression.CompressedFile.ReadAllBytes(compressed, size).Length);
    }

    /// <summary>kpk_kmp_a.ko compressed by the tool itself (xz, zstd, gzip) into DIR; returns the compressed file.</summary>
    private static string CompressedModule(string dir, string tool, string suffix)
    {
        string ko = Path.Combine(dir, "kpk_kmp_a.ko");
        File.Copy(OutOfTreeModules.Module("kpk_kmp_a"), ko);
        OutOfTreeModules.Run(tool, "-k", ko);
        return ko + suffix;
    }

    // Distributions ship modules compressed (Debian 6.12: .ko.xz; Ubuntu: .ko.zst): each is read
    // back byte for byte as xz and zstd themselves wrote it.
    [Theory]
    [InlineData("xz", ".xz")]
    [InlineData("zstd", ".zst")]
    [InlineData("gzip", ".gz")]
    public void Compressed_modules_read_as_the_module_itself(string tool, string suffix)
    {
        using var dir = TestPaths.TempDir();
        string compressed = CompressedModule(dir.Path, tool, suffix);
        Assert.Equal(File.ReadAllBytes(OutOfTreeModules.Module("kpk_kmp_a")), ModuleSymbols.ReadModuleBytes(compressed));
        Assert.Equal(["kpk_kmp_value"], ModuleSymbols.Read(compressed).Exports.Keys);
    }

    [Theory]
    [InlineData("xz", ".xz")]
    [InlineData("zstd", ".zst")]
    [InlineData("gzip", ".gz")]
    public void A_truncated_or_corrupt_compressed_module_is_refused_naming_it(string tool, string suffix)
    {
        using var dir = TestPaths.TempDir();
        byte[] whole = File.ReadAllBytes(CompressedModule(dir.Path, tool, suffix));
        string cut = Path.Combine(dir.Path, "cut.ko" + suffix);
        File.WriteAllBytes(cut, whole[..(whole.Length / 2)]);
        var e = Assert.Throws<KpkException>(() => ModuleSymbols.ReadModuleBytes(cut));
        Assert.Contains(cut, e.Message);
        Assert.Contains("not a valid", e.Message);
        string flipped = Path.Combine(dir.Path, "flipped.ko" + suffix);
        whole[whole.Length / 2] ^= 0xff;
        File.WriteAllBytes(flipped, whole);
        e = Assert.Throws<KpkException>(() => ModuleSymbols.ReadModuleBytes(flipped));
        Assert.Contains(flipped, e.Message);
    }
}
