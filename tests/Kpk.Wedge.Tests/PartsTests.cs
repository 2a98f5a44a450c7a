using Kpk.Core;
using Kpk.Tests;
using Xunit;

namespace Kpk.Wedge.Tests;

/// <summary>The library's pieces on their own, without the reference.</summary>
public class PartsTests
{
    [Theory]
    [InlineData("a b c", 6, new[] { "a", "b", "c" })]
    [InlineData("a b c ", 6, new[] { "a", "b", "c", "" })]
    [InlineData("  a  b c d e f g h ", 6, new[] { "a", "b", "c", "d", "e", "f g h " })]
    [InlineData("a b c d e f\r", 6, new[] { "a", "b", "c", "d", "e", "f\r" })]
    [InlineData("a b\r", 6, new[] { "a", "b", "" })]
    [InlineData("   ", 6, new string[0])]
    public void Fields_split_as_perl_splits_them(string line, int limit, string[] expected) =>
        Assert.Equal(expected, PerlText.SplitFields(line, limit));

    [Theory]
    [InlineData(", a, b, , ", new[] { "", "a", "b" })]
    [InlineData("kernel-image", new[] { "kernel-image" })]
    [InlineData("", new string[0])]
    public void Comma_lists_split_as_perl_splits_them(string value, string[] expected) =>
        Assert.Equal(expected, PerlText.SplitCommaList(value));

    [Theory]
    [InlineData("drivers/net/**", "drivers/net/ethernet/intel/e1000.ko", true)]
    [InlineData("drivers/*/e1000", "drivers/net/e1000.ko", true)]
    [InlineData("drivers/*/e1000", "drivers/net/ethernet/e1000.ko", false)]
    [InlineData("usb?storage", "usb-storage.ko", true)]
    [InlineData("usb_storage", "usb-storage.ko", true)]
    [InlineData("a.b", "axb.ko", false)]
    [InlineData("a+b", "a+b.ko", true)]
    public void Wildcards_become_regular_expressions(string pattern, string path, bool matches)
    {
        var regex = new System.Text.RegularExpressions.Regex("^" + ModulePattern.ToRegex(pattern, linux: true) + @"\.ko$");
        Assert.Equal(matches, regex.IsMatch(path));
    }

    [Fact]
    public void Dash_and_underscore_are_alike_only_on_linux()
    {
        Assert.Equal("usb[-_]storage", ModulePattern.ToRegex("usb-storage", linux: true));
        Assert.Equal(@"usb-storage", ModulePattern.ToRegex("usb-storage", linux: false));
    }

    [Theory]
    [InlineData("amd64", "amd64", true)]
    [InlineData("amd64", "any", true)]
    [InlineData("amd64", "linux-any", true)]
    [InlineData("amd64", "any-amd64", true)]
    [InlineData("amd64", "any-i386", false)]
    [InlineData("amd64", "kfreebsd-any", false)]
    [InlineData("kfreebsd-amd64", "kfreebsd-any", true)]
    [InlineData("kfreebsd-amd64", "any-amd64", true)]
    [InlineData("armhf", "any-arm", true)]
    [InlineData("armhf", "eabihf-any-any-arm", true)]
    [InlineData("armel", "eabihf-any-any-arm", false)]
    [InlineData("x32", "any-amd64", true)]
    [InlineData("x32", "amd64", false)]
    public void Architecture_wildcards_match_as_dpkg_matches_them(string arch, string alias, bool matches) =>
        Assert.Equal(matches, DebianArchitecture.Matches(arch, alias));

    [Theory]
    [InlineData("<!noudeb>", "", true)]
    [InlineData("<!noudeb>", "noudeb", false)]
    [InlineData("<cross> <stage1 !nocheck>", "stage1", true)]
    [InlineData("<cross> <stage1 !nocheck>", "stage1 nocheck", false)]
    public void Build_profile_formulas(string formula, string active, bool holds) =>
        Assert.Equal(holds, BuildProfileFormula.Holds(formula, active.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet()));

    [Fact]
    public void Modules_dep_pairs_with_continuations_and_absolute_paths()
    {
        var pairs = ModulesDep.Parse(
        [
            "kernel/a.ko: kernel/b.ko kernel/c.ko",
            "/lib/modules/6.1/kernel/d.ko: /lib/modules/6.1/kernel/e.ko \\",
            "  /lib/modules/6.1/kernel/f.ko",
            "kernel/g.ko:",
            "",
        ], "/lib/modules/6.1/");
        Assert.Equal(
        [
            new ModuleDependency("kernel/a.ko", "kernel/b.ko"),
            new ModuleDependency("kernel/a.ko", "kernel/c.ko"),
            new ModuleDependency("kernel/d.ko", "kernel/e.ko"),
            new ModuleDependency("kernel/d.ko", "kernel/f.ko"),
        ], pairs);
    }

    [Fact]
    public void Packages_come_after_their_dependencies()
    {
        var order = ModuleSplitter.DependencyOrder(["nic", "core", "image", "self"],
        [
            new PackageDependency("nic", "core"), new PackageDependency("nic", "image"),
            new PackageDependency("core", "image"), new PackageDependency("self", "self"),
        ], "modules/amd64");
        Assert.True(order.ToList().IndexOf("image") < order.ToList().IndexOf("core"));
        Assert.True(order.ToList().IndexOf("core") < order.ToList().IndexOf("nic"));
        Assert.Contains("self", order);
    }

    [Fact]
    public void A_dependency_cycle_is_named()
    {
        var e = Assert.Throws<KpkException>(() => ModuleSplitter.DependencyOrder(["a", "b", "c", "d"],
        [
            new PackageDependency("a", "b"), new PackageDependency("b", "c"),
            new PackageDependency("c", "d"), new PackageDependency("d", "b"),
        ], "modules/amd64"));
        Assert.Equal("modules/amd64: package dependency cycle: b -> c -> d -> b", e.Message);
    }

    [Fact]
    public void Package_list_variants_continuations_and_overrides()
    {
        using var dir = TestPaths.TempDir("kpk-wedge-unit");
        File.WriteAllText(dir["def-list"], "Package: nic-modules\nDepends: a\nDescription: short\n long\n .\n\nPackage: x\n");
        Directory.CreateDirectory(dir["cfg"]);
        File.WriteAllText(dir["cfg/package-list"], "# comment\nPackage: nic-modules\nDepends_armhf: b\nDepends_686: c\n");
        Directory.CreateDirectory(dir["def"]);
        File.Copy(dir["def-list"], dir["def/package-list"]);
        var env = new WedgeEnvironment { DefConfigDir = dir["def"], ConfigDir = dir["cfg"], WorkingDirectory = dir.Path };
        var templates = PackageList.ReadAll(env);
        Assert.Equal(["nic-modules", "x"], templates.Select(t => t.Name));
        var nic = templates[0];
        Assert.Equal("short\n long\n .", nic.Get("Description", "amd64", "amd64"));
        Assert.Equal("a", nic.Get("Depends", "amd64", "amd64"));
        Assert.Equal("b", nic.Get("Depends", "armhf", "armmp"));
        Assert.Equal("c", nic.Get("Depends", "i386", "686")); // the flavour wins
    }

    [Theory]
    [InlineData("Package: a\nVersion: 1\n", "package-list:2: unknown field, Version")]
    [InlineData(" continued\n", "package-list:1: continuation line before any field")]
    [InlineData("Description: no package\n", "package-list:1: the stanza has no Package field")]
    public void Package_list_errors_name_the_line(string text, string message)
    {
        using var dir = TestPaths.TempDir("kpk-wedge-unit");
        File.WriteAllText(dir["package-list"], text);
        var env = new WedgeEnvironment { DefConfigDir = dir.Path, ConfigDir = dir.Path, WorkingDirectory = dir.Path };
        var e = Assert.Throws<KpkException>(() => PackageList.ReadAll(env));
        Assert.EndsWith(message, e.Message);
        Assert.Equal(WedgeExit.BadContent, e.ExitCode);
    }

    [Fact]
    public void Kernel_versions_errors_name_the_line()
    {
        using var dir = TestPaths.TempDir("kpk-wedge-unit");
        File.WriteAllText(dir["kernel-versions"], "# arch version flavour\namd64 1 amd64 - - -\n\namd64 2\n");
        var env = new WedgeEnvironment { ConfigDir = dir.Path, WorkingDirectory = dir.Path };
        var e = Assert.Throws<KpkException>(() => KernelVersions.Read(env));
        Assert.StartsWith($"{dir.Path}/kernel-versions:4: parse error", e.Message);
    }

    [Fact]
    public void The_environment_reads_the_variables_kernel_wedge_reads()
    {
        var vars = new Dictionary<string, string> { ["KW_CONFIG_DIR"] = "0", ["DEB_HOST_ARCH"] = "arm64", ["SOURCEDIR"] = "", ["KW_CHECK_NONFATAL"] = "0" };
        var env = WedgeEnvironment.From(k => vars.GetValueOrDefault(k), "/tmp");
        Assert.Equal(".", env.ConfigDir); // "0" is false to perl
        Assert.Equal("arm64", env.HostArch);
        Assert.Equal("", env.SourceDir); // set, though empty
        Assert.False(env.NonFatalPerl);
        Assert.True(env.NonFatalNonEmpty);
        Assert.Throws<KpkException>(() => env.RequireDefConfigDir());
    }

    [Fact]
    public void Help_lists_and_explains_the_commands()
    {
        var list = KpkProcess.Run("wedge", "help");
        Assert.Equal(0, list.Exit);
        foreach (var c in new[] { "gen-control", "gen-deps", "preprocess", "copy-modules", "find-dups", "find-unpackaged", "install-files", "check" })
            Assert.Contains($"\t{c}", list.Out);
        var one = KpkProcess.Run("wedge", "help", "preprocess");
        Assert.StartsWith("kpk wedge preprocess [LIST] [MODULEDIR]\n", one.Out);
        Assert.Contains("KW_CHECK_NONFATAL", one.Out);
        var none = KpkProcess.Run("wedge", "help", "no-such");
        Assert.Equal(1, none.Exit);
        Assert.Equal("No such command.\n", none.Err);
    }
}
