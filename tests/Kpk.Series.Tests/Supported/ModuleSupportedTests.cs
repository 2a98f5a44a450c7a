using System.Diagnostics;
using System.Text;
using Kpk.Series.Supported;
using Kpk.Tests;
using Xunit;

namespace Kpk.Series.Tests.Supported;

public class ModuleSupportedTests
{
    /// <summary>
    /// kernel-source's own recipe (scripts/sequence-patch.sh, rpm/kernel-binary.spec.in): guards lists
    /// every module with its guards and awk turns each line into Module.supported's.
    /// </summary>
    private const string ReferenceRecipe = "/usr/bin/guards --list --with-guards < \"$1\" | awk '" +
        "/\\+external / { print $(NF) \" external\"; next; } /^-/ { print $(NF) \" no\"; next; } { print $(NF); }'";

    private static byte[] Reference(string supportedConf)
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "-c", ReferenceRecipe, "sh", supportedConf }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(output);
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
        return output.ToArray();
    }

    private const string Sample =
        "# comment\n" +
        "+cluster-md-kmp\tdrivers/md/md-cluster\t\t# fate#319339\n" +
        "\t\tarch/x86/crypto/aes-x86_64\n" +
        "-\t\tdrivers/atm/*\n" +
        "+base\t\tdrivers/net/ethernet/8390/8390\n" +
        "-!optional\tdrivers/ata/ahci_imx\n" +
        "+external\tarch/powerpc/platforms/powernv/opal-prd\n" +
        "+external +base\tdrivers/hid/hid-hyperv\n" +
        "+base +external\tdrivers/hv/hv_vmbus\n" +
        "- +external\tweird/one\n" +
        "  drivers/mtd/spi-nor/spi-nor # comment\n";

    [Fact]
    public void Sample_supported_conf_gives_the_levels_of_kernel_source()
    {
        var modules = ModuleSupportedFile.Parse(Encoding.Latin1.GetBytes(Sample));
        string Level(string m) => modules.Single(x => x.Module == m).Level.ToString();
        Assert.Equal("Yes", Level("drivers/md/md-cluster"));
        Assert.Equal("cluster-md-kmp", modules.Single(x => x.Module == "drivers/md/md-cluster").Kmp);
        Assert.Equal("Yes", Level("arch/x86/crypto/aes-x86_64"));
        Assert.Equal("No", Level("drivers/atm/*"));
        Assert.True(modules.Single(x => x.Module == "drivers/net/ethernet/8390/8390").Base);
        Assert.Equal("No", Level("drivers/ata/ahci_imx"));
        Assert.True(modules.Single(x => x.Module == "drivers/ata/ahci_imx").NotOptional);
        Assert.Equal("External", Level("arch/powerpc/platforms/powernv/opal-prd"));
        Assert.Equal("External", Level("drivers/hid/hid-hyperv"));
        Assert.Equal("External", Level("drivers/hv/hv_vmbus"));
        Assert.Equal("External", Level("weird/one"));
        Assert.Equal(2, modules.Single(x => x.Module == "drivers/hid/hid-hyperv").Guards.Count);
        Assert.Equal(11, modules.Single(x => x.Module == "drivers/mtd/spi-nor/spi-nor").Line);
    }

    [Fact]
    public void Sample_module_supported_equals_the_kernel_source_recipe()
    {
        using var dir = TestPaths.TempDir("kpk-supported");
        File.WriteAllText(dir["supported.conf"], Sample);
        byte[] ours = ModuleSupportedFile.Generate(File.ReadAllBytes(dir["supported.conf"]));
        Assert.Equal(Encoding.Latin1.GetString(Reference(dir["supported.conf"])), Encoding.Latin1.GetString(ours));
        Assert.Contains("drivers/hid/hid-hyperv external\n", Encoding.Latin1.GetString(ours));
    }

    [Theory]
    [InlineData("drivers/hid/hid-hyperv", "external")]
    [InlineData("hid-hyperv.ko", "external")]
    [InlineData("aes-x86_64", "yes")]
    [InlineData("ahci_imx", "no")]
    [InlineData("not-there", null)]
    [InlineData("*", "no")]
    public void Modpost_matches_modules_by_base_name(string module, string? level)
    {
        string text = Encoding.Latin1.GetString(ModuleSupportedFile.Generate(Encoding.Latin1.GetBytes(Sample)));
        Assert.Equal(level, ModuleSupportedFile.LevelFor(text, module));
    }

    [Fact]
    public void Output_naming_a_directory_is_one_clear_error_and_nothing_is_written()
    {
        using var dir = TestPaths.TempDir("kpk-supported-dir");
        File.WriteAllText(dir["supported.conf"], Sample);
        Directory.CreateDirectory(dir["out"]);
        var run = KpkProcess.Run("supported", dir["supported.conf"], "-o", dir["out"]);
        Assert.Equal(1, run.Exit);
        Assert.Equal($"kpk: {dir["out"]}: is a directory; name the file to write\n", run.Err);
        Assert.Empty(Directory.GetFileSystemEntries(dir["out"]));
        Assert.Equal(2, Directory.GetFileSystemEntries(dir.Path).Length);
    }

    [Fact]
    [Trait("Tier", Tier.Conformance)]
    public void Real_supported_conf_gives_the_module_supported_of_kernel_source()
    {
        string conf = Path.Combine(TestPaths.Conformance, "series", "supported.conf");
        byte[] expected = Reference(conf);
        byte[] ours = ModuleSupportedFile.Generate(File.ReadAllBytes(conf));
        Assert.True(expected.Length > 10000, "the reference recipe made almost nothing");
        Assert.Equal(Encoding.Latin1.GetString(expected), Encoding.Latin1.GetString(ours));
        var modules = ModuleSupportedFile.Parse(File.ReadAllBytes(conf));
        Assert.Equal(modules.Count(m => m.Level == SupportLevel.External), Encoding.Latin1.GetString(ours).Split('\n').Count(l => l.EndsWith(" external")));
    }

    [Fact]
    [Trait("Tier", Tier.Conformance)]
    public void Kpk_supported_writes_the_file_and_answers_for_modules()
    {
        string conf = Path.Combine(TestPaths.Conformance, "series", "supported.conf");
        using var dir = TestPaths.TempDir("kpk-supported-cli");
        var run = KpkProcess.Run("supported", conf, "-o", dir["Module.supported"]);
        Assert.True(run.Exit == 0, run.Err);
        Assert.Equal(Reference(conf), File.ReadAllBytes(dir["Module.supported"]));

        var stdout = KpkProcess.Run("supported", conf);
        Assert.Equal(Encoding.UTF8.GetString(Reference(conf)), stdout.Out);

        var ask = KpkProcess.Run("supported", conf, "--module", "hv_vmbus", "-m", "drivers/md/md-cluster.ko", "-m", "nonexistent");
        Assert.Equal(0, ask.Exit);
        Assert.Contains("hv_vmbus: external\n", ask.Out);
        Assert.Contains("drivers/md/md-cluster.ko: yes\n", ask.Out);
        Assert.Contains("nonexistent: not listed", ask.Out);
    }

    [Fact]
    public void Kpk_supported_names_a_missing_file()
    {
        var run = KpkProcess.Run("supported", "/nonexistent/supported.conf");
        Assert.Equal(1, run.Exit);
        Assert.StartsWith("kpk: /nonexistent/supported.conf: cannot read", run.Err);
        Assert.DoesNotContain("   at ", run.Err);
    }
}
