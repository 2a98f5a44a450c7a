using System.IO.Compression;
using Kpk.Core;
using Kpk.Series.Config;

namespace Kpk.Series.Apply.Tests;

public class ConfigParseTests
{
    [Fact]
    public void Reads_settings_unset_symbols_comments_and_flags_the_rest()
    {
        var config = KernelConfig.Parse("a.config", string.Join("\n",
            "#", "# Automatically generated file; DO NOT EDIT.", "CONFIG_64BIT=y", "# CONFIG_X86_32 is not set",
            "CONFIG_OUTPUT_FORMAT=\"elf64-x86-64\"", "", "CONFIG_HZ=250", "garbage here", "CONFIG_BROKEN", "CONFIG_HZ=1000",
            "   # indented comment", "CONFIG_EMPTY=") + "\n");

        var values = config.Values();
        Assert.Equal("y", values["64BIT"]);
        Assert.Equal("n", values["X86_32"]);
        Assert.Equal("\"elf64-x86-64\"", values["OUTPUT_FORMAT"]);
        Assert.Equal("1000", values["HZ"]);
        Assert.Equal("", values["EMPTY"]);
        Assert.Equal(new[]
        {
            "a.config:8: not a config line: garbage here",
            "a.config:9: not a config line: CONFIG_BROKEN",
            "a.config:10: CONFIG_HZ is set again (first at line 7); the later value wins",
        }, config.Warnings.Select(w => w.ToString()));
    }

    [Fact]
    public void An_unreadable_file_is_named()
    {
        var e = Assert.Throws<KpkException>(() => KernelConfig.Load("/nonexistent/config"));
        Assert.StartsWith("/nonexistent/config: cannot read", e.Message);
    }
}

public class ConfigMergeTests
{
    [Fact]
    public void Later_values_win_and_keep_the_first_position()
    {
        var base_ = KernelConfig.Parse("base", "#\n# General setup\n#\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=m\nCONFIG_D=\"x\"\n");
        var addon1 = KernelConfig.Parse("addon1", "# addon comment\nCONFIG_B=y\nCONFIG_NEW1=y\nCONFIG_C=y\n");
        var addon2 = KernelConfig.Parse("addon2", "# CONFIG_A is not set\nCONFIG_NEW2=5\nCONFIG_NEW1=m\n");

        var merged = ConfigMerger.Merge([base_, addon1, addon2]);

        Assert.Equal("#\n# General setup\n#\n# CONFIG_A is not set\nCONFIG_B=y\nCONFIG_C=y\nCONFIG_D=\"x\"\nCONFIG_NEW1=m\nCONFIG_NEW2=5\n", merged.Text);
        Assert.Empty(merged.Warnings);
    }

    [Fact]
    public void Warns_about_redefinitions_within_a_file_and_foreign_lines_and_drops_the_latter()
    {
        var base_ = KernelConfig.Parse("base", "CONFIG_A=y\nCONFIG_B=y\nCONFIG_A=m\n");
        var addon = KernelConfig.Parse("addon", "CONFIG_B=n\nthis is not config\nCONFIG_B=y\n");
        var merged = ConfigMerger.Merge([base_, addon]);
        Assert.Equal("CONFIG_A=m\nCONFIG_B=y\n", merged.Text);
        Assert.Equal(new[]
        {
            "base:3: CONFIG_A is set again (first at line 1); the later value wins",
            "addon:2: not a config line: this is not config",
            "addon:3: CONFIG_B is set again (first at line 1); the later value wins",
        }, merged.Warnings.Select(w => w.ToString()));
    }

    [Fact]
    public void A_redefinition_across_files_is_the_point_and_not_warned()
    {
        var merged = ConfigMerger.Merge([KernelConfig.Parse("a", "CONFIG_A=y\n"), KernelConfig.Parse("b", "CONFIG_A=m\n")]);
        Assert.Empty(merged.Warnings);
        Assert.Equal("CONFIG_A=m\n", merged.Text);
    }

    [Fact]
    [Trait("Tier", Tier.Conformance)]
    public void A_real_config_merged_with_nothing_or_itself_is_unchanged()
    {
        string path = Path.Combine(TestPaths.Conformance, "series", "config-x86_64-default");
        var real = KernelConfig.Load(path);
        Assert.Empty(real.Warnings);
        Assert.True(real.Values().Count > 3000);
        string text = File.ReadAllText(path);
        Assert.Equal(text, ConfigMerger.Merge([real]).Text);
        Assert.Equal(text, ConfigMerger.Merge([real, real]).Text);
    }

    [Fact]
    [Trait("Tier", Tier.Conformance)]
    public void A_flavour_laid_over_the_real_default_changes_just_its_settings()
    {
        string path = Path.Combine(TestPaths.Conformance, "series", "config-x86_64-default");
        var real = KernelConfig.Load(path);
        var addon = KernelConfig.Parse("debug", "CONFIG_DEBUG_PAGEALLOC=y\n# CONFIG_64BIT is not set\nCONFIG_KPK_ONLY_HERE=y\n");
        var merged = KernelConfig.Parse("merged", ConfigMerger.Merge([real, addon]).Text);
        Assert.Equal(" 64BIT y -> n\n" + (real.Values().TryGetValue("DEBUG_PAGEALLOC", out var old) ? $" DEBUG_PAGEALLOC {old} -> y\n" : "+DEBUG_PAGEALLOC y\n") + "+KPK_ONLY_HERE y\n",
            ConfigDiff.Format(real, merged));
        // The changed setting kept its place.
        int before = real.Lines.First(l => l.Symbol == "64BIT").Number;
        Assert.Equal("# CONFIG_64BIT is not set", merged.Lines[before - 1].Text);
    }
}

public class ConfigDiffTests
{
    private const string Old = "CONFIG_EXT2_FS_XATTR=y\nCONFIG_EXT2_FS=y\n# CONFIG_CRAMFS is not set\nCONFIG_LOG_BUF_SHIFT=14\nCONFIG_SAME=y\n";
    private const string New = "CONFIG_EXT2_FS=n\nCONFIG_CRAMFS=y\nCONFIG_LOG_BUF_SHIFT=16\nCONFIG_SAME=y\nCONFIG_PRINTK_TIME=y\nCONFIG_A_NEW=m\n";

    [Fact]
    public void Prints_removed_changed_and_added_settings_in_diffconfig_form()
    {
        Assert.Equal("-EXT2_FS_XATTR y\n CRAMFS n -> y\n EXT2_FS y -> n\n LOG_BUF_SHIFT 14 -> 16\n+A_NEW m\n+PRINTK_TIME y\n",
            ConfigDiff.Format(KernelConfig.Parse("a", Old), KernelConfig.Parse("b", New)));
    }

    [Fact]
    public void Merge_style_prints_config_lines()
    {
        Assert.Equal("CONFIG_CRAMFS=y\n# CONFIG_EXT2_FS is not set\nCONFIG_LOG_BUF_SHIFT=16\nCONFIG_A_NEW=m\nCONFIG_PRINTK_TIME=y\n",
            ConfigDiff.Format(KernelConfig.Parse("a", Old), KernelConfig.Parse("b", New), mergeStyle: true));
    }

    [Fact]
    [Trait("Tier", Tier.Conformance)]
    public void Matches_the_kernels_diffconfig_on_real_configs()
    {
        string diffconfig = KernelDiffconfig.Path;
        using var dir = TestPaths.TempDir("kpk-diffconfig");
        var configs = new List<string> { Path.Combine(TestPaths.Conformance, "series", "config-x86_64-default") };
        foreach (string xz in Directory.GetFiles("/usr/src/linux-config-6.1", "config.*.xz").Order(StringComparer.Ordinal).Take(2))
        {
            string plain = dir[Path.GetFileNameWithoutExtension(xz)];
            var run = Tools.Run("sh", "/", "-c", $"xz -dc '{xz}' > '{plain}'");
            Assert.Equal(0, run.Exit);
            configs.Add(plain);
        }
        Assert.True(configs.Count == 3, "the Debian configs of linux-config-6.1 are needed (scripts/install-deps)");
        // A mutated copy: values changed, symbols dropped and added, "is not set" in both directions.
        string mutated = dir["mutated"];
        var lines = File.ReadAllLines(configs[0]).Select((l, i) =>
            i % 97 == 0 && l.StartsWith("CONFIG_") ? "# " + l.Split('=')[0] + " is not set"
            : i % 89 == 0 && l.StartsWith("# CONFIG_") ? l[2..].Replace(" is not set", "=m")
            : i % 83 == 0 ? "" : l).Append("CONFIG_KPK_ADDED=\"with spaces = and equals\"");
        File.WriteAllLines(mutated, lines);
        configs.Add(mutated);

        foreach (string a in configs)
        foreach (string b in configs)
        foreach (bool merge in new[] { false, true })
        {
            string[] args = merge ? [diffconfig, "-m", a, b] : [diffconfig, a, b];
            var reference = Tools.Run("python3", "/", args);
            Assert.True(reference.Exit == 0, reference.Err);
            Assert.Equal(reference.Out, ConfigDiff.Format(KernelConfig.Load(a), KernelConfig.Load(b), merge));
        }
    }
}

/// <summary>The kernel's scripts/diffconfig, the reference for config diff: from a kernel source tree kpk already unpacked, or out of /usr/src/linux-source-6.1.tar.xz.</summary>
internal static class KernelDiffconfig
{
    private static readonly Lazy<string> Found = new(Locate);

    public static string Path => Found.Value;

    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable("KPK_DIFFCONFIG") is { Length: > 0 } set) return set;
        string cache = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "kpk", "src");
        if (Directory.Exists(cache))
            foreach (string dir in Directory.GetDirectories(cache))
                if (File.Exists(System.IO.Path.Combine(dir, "scripts", "diffconfig"))) return System.IO.Path.Combine(dir, "scripts", "diffconfig");
        string tarball = "/usr/src/linux-source-6.1.tar.xz";
        Assert.True(File.Exists(tarball), "no kernel source to take scripts/diffconfig from (scripts/install-deps installs linux-source-6.1)");
        string target = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"kpk-diffconfig-{Environment.ProcessId}");
        var run = Tools.Run("sh", "/", "-c", $"tar -xJOf '{tarball}' --wildcards --occurrence=1 '*/scripts/diffconfig' > '{target}'");
        Assert.True(run.Exit == 0 && new FileInfo(target).Length > 0, "cannot extract scripts/diffconfig: " + run.Err);
        return target;
    }
}

public class RunningConfigTests
{
    [Fact]
    public void Prefers_proc_config_gz()
    {
        using var root = TestPaths.TempDir("kpk-root");
        Directory.CreateDirectory(root["proc/sys/kernel"]);
        Directory.CreateDirectory(root["boot"]);
        File.WriteAllText(root["proc/sys/kernel/osrelease"], "6.1.0-kpk\n");
        File.WriteAllText(root["boot/config-6.1.0-kpk"], "CONFIG_FROM_BOOT=y\n");
        using (var f = File.Create(root["proc/config.gz"]))
        using (var gz = new GZipStream(f, CompressionLevel.Fastest))
            gz.Write("CONFIG_FROM_PROC=y\n"u8);

        var found = RunningConfig.Read(root.Path);
        Assert.Equal("CONFIG_FROM_PROC=y\n", found.Text);
        Assert.Equal(root["proc/config.gz"], found.Source);

        File.Delete(root["proc/config.gz"]);
        found = RunningConfig.Read(root.Path);
        Assert.Equal("CONFIG_FROM_BOOT=y\n", found.Text);
        Assert.Equal(root["boot/config-6.1.0-kpk"], found.Source);

        File.Delete(root["boot/config-6.1.0-kpk"]);
        var e = Assert.Throws<KpkException>(() => RunningConfig.Read(root.Path));
        Assert.Contains("no config for the running kernel 6.1.0-kpk", e.Message);
        Assert.Contains(root["proc/config.gz"], e.Message);
        Assert.Contains(root["boot/config-6.1.0-kpk"], e.Message);
    }

    [Fact]
    public void A_corrupt_proc_config_gz_is_named()
    {
        using var root = TestPaths.TempDir("kpk-root");
        Directory.CreateDirectory(root["proc"]);
        File.WriteAllText(root["proc/config.gz"], "not gzip");
        var e = Assert.Throws<KpkException>(() => RunningConfig.Read(root.Path));
        Assert.StartsWith(root["proc/config.gz"] + ": not gzip data", e.Message);
    }

    [Fact]
    public void The_real_running_kernel_has_a_config_somewhere_or_says_where_it_looked()
    {
        // On this machine: compare with what is really there, rather than assume.
        bool proc = File.Exists("/proc/config.gz");
        string release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        bool boot = File.Exists($"/boot/config-{release}");
        if (proc || boot)
        {
            var found = RunningConfig.Read("/");
            Assert.Equal(proc ? "/proc/config.gz" : $"/boot/config-{release}", found.Source);
            Assert.Contains("CONFIG_", found.Text);
        }
        else
        {
            var e = Assert.Throws<KpkException>(() => RunningConfig.Read("/"));
            Assert.Contains(release, e.Message);
        }
    }
}
