using System.Diagnostics;
using Kpk.Core;
using Kpk.Series.Config;

namespace Kpk.Series.Apply.Tests;

/// <summary>
/// <c>kpk config select</c> on a kernel-source tree made of SUSE's real config.conf and x86_64 config
/// (../shared/conformance/series), as plain directories and as the source RPM's .tar.bz2 archives.
/// </summary>
[Trait("Tier", Tier.Conformance)]
public class ConfigSelectTests
{
    private static string Series => Path.Combine(TestPaths.Conformance, "series");

    private static TempDir Tree(bool addon = true, bool tarballs = false)
    {
        var dir = TestPaths.TempDir("kpk-ks");
        File.Copy(Path.Combine(Series, "config.conf"), dir["config.conf"]);
        Directory.CreateDirectory(dir["config/x86_64"]);
        File.Copy(Path.Combine(Series, "config-x86_64-default"), dir["config/x86_64/default"]);
        File.WriteAllText(dir["config/x86_64/vanilla"], "CONFIG_64BIT=y\n");
        if (addon)
        {
            Directory.CreateDirectory(dir["config.addon/x86_64"]);
            File.WriteAllText(dir["config.addon/x86_64/default"], "# CONFIG_SMP is not set\nCONFIG_KPK_ADDON_ONLY=m\n");
        }
        if (tarballs)
            foreach (string tree in addon ? new[] { "config", "config.addon" } : ["config"])
            {
                Tool("tar", dir.Path, "-cjf", tree + ".tar.bz2", tree);
                Directory.Delete(dir[tree], recursive: true);
            }
        return dir;
    }

    private static string Tool(string tool, string cwd, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        if (tool == "guards") p.StandardInput.Write(File.ReadAllText(Path.Combine(cwd, "config.conf")));
        p.StandardInput.Close();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{tool}: {p.StandardError.ReadToEnd()}");
        return output;
    }

    [Theory]
    [InlineData("x86_64")]
    [InlineData("i686")]
    [InlineData("ppc64le")]
    [InlineData("s390x")]
    [InlineData("armv7hl")]
    public void The_flavours_are_those_guards_prints_for_the_architecture(string arch)
    {
        using var tree = Tree();
        string symbol = ConfigSelector.ArchSymbol(arch);
        var expected = Tool("guards", tree.Path, symbol).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith(symbol + "/")).Select(l => l[(symbol.Length + 1)..]).ToList();
        Assert.NotEmpty(expected);
        // The flavour asked for need not have a config file here: the choice of flavours comes first.
        var e = Record.Exception(() => ConfigSelector.Select(tree.Path, arch, "no-such-flavour"));
        Assert.Contains($"the flavours built for {arch} are: {string.Join(", ", expected)}", e!.Message);
        if (arch == "x86_64")
            Assert.Equal(expected, ConfigSelector.Select(tree.Path, arch, "default").Flavors);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_config_is_the_flavours_file_with_the_addon_laid_over_it(bool tarballs)
    {
        using var tree = Tree(tarballs: tarballs);
        string output = tree[".config"];
        var r = KpkProcess.RunIn(tree.Path, null, "config", "select", "--arch", "x86_64", "--flavor", "default");
        Assert.True(r.Exit == 0, r.Err);
        var original = KernelConfig.Load(Path.Combine(Series, "config-x86_64-default")).Values();
        var result = KernelConfig.Load(output).Values();
        Assert.Equal("y", original["SMP"]);
        Assert.Equal("n", result["SMP"]);
        Assert.Equal("m", result["KPK_ADDON_ONLY"]);
        Assert.Equal(original.Count + 1, result.Count);
        Assert.All(original.Where(kv => kv.Key != "SMP"), kv => Assert.Equal(kv.Value, result[kv.Key]));
        // The add-on's new setting comes after the base's, whose order is kept.
        Assert.Equal("CONFIG_KPK_ADDON_ONLY=m", File.ReadAllLines(output).Last());
        Assert.Contains(tarballs ? "config.tar.bz2:config/x86_64/default + " : "config/x86_64/default + ", r.Err);
        // No temporary tree is left behind.
        Assert.Empty(Directory.GetDirectories(tree.Path).Where(d => Path.GetFileName(d).StartsWith("kpk-")));
    }

    [Fact]
    public void Without_an_addon_the_flavours_file_is_the_config()
    {
        using var tree = Tree(addon: false);
        var selection = ConfigSelector.Select(tree.Path, "x86_64", "vanilla");
        Assert.Null(selection.Addon);
        Assert.Equal("CONFIG_64BIT=y\n", selection.Result.Text);
    }

    [Theory]
    [InlineData("x86_64", "syzkaller", "config.conf:18: x86_64/syzkaller is listed but its guards (-) leave it out for x86_64")]
    [InlineData("armv6hl", "default", "armv6hl/default is listed but its guards (+armv6hl -!needs_updating) leave it out")]
    [InlineData("x86_64", "debug", "no config/x86_64/debug (nor in config.tar.bz2), though config.conf selects it")]
    [InlineData("x86_64", "../x", "give an architecture and a flavour name")]
    public void What_cannot_be_selected_is_named_and_nothing_is_written(string arch, string flavor, string message)
    {
        using var tree = Tree();
        var r = KpkProcess.RunIn(tree.Path, null, "config", "select", "--arch", arch, "--flavor", flavor);
        Assert.NotEqual(0, r.Exit);
        Assert.Contains(message, r.Err);
        Assert.False(File.Exists(tree[".config"]));
    }
}
