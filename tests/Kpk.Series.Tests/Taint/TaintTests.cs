using System.Diagnostics;
using System.Text.RegularExpressions;
using Kpk.Core;
using Kpk.Series.Taint;
using Kpk.Tests;
using Xunit;

namespace Kpk.Series.Tests.Taint;

/// <summary>Taint values explained, checked against the Linux 6.1 sources Debian ships in linux-source-6.1.</summary>
public class TaintTests
{
    private const string KernelTarball = "/usr/src/linux-source-6.1.tar.xz";

    /// <summary>One file of the 6.1 tree, read from the tarball (the Documentation comes early in it).</summary>
    private static string KernelFile(string path)
    {
        Assert.True(File.Exists(KernelTarball), $"{KernelTarball} is missing: scripts/install-deps installs linux-source-6.1");
        var psi = new ProcessStartInfo("tar") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "-xJOf", KernelTarball, "--occurrence=1", "linux-source-6.1/" + path }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0 && text.Length > 0, $"cannot read {path} from {KernelTarball}: {p.StandardError.ReadToEnd()}");
        return text;
    }

    [Fact]
    public void Every_row_of_the_kernels_taint_table_is_explained_as_documented()
    {
        // "  9  _/W     512  kernel issued warning" in Documentation/admin-guide/tainted-kernels.rst
        var rows = Regex.Matches(KernelFile("Documentation/admin-guide/tainted-kernels.rst"), @"^\s*(\d+)\s+([_A-Z])/([A-Z])\s+(\d+)\s+(.+?)\s*$", RegexOptions.Multiline);
        Assert.Equal(19, rows.Count);
        foreach (Match row in rows)
        {
            int bit = int.Parse(row.Groups[1].Value);
            ulong number = ulong.Parse(row.Groups[4].Value);
            var report = TaintReport.Explain(number, SuseTaintLayout.None);
            var flag = Assert.Single(report.Flags);
            Assert.Equal(bit, flag.Bit);
            Assert.Equal(number, flag.Value);
            Assert.Equal(row.Groups[3].Value[0], flag.Letter);
            Assert.Equal(row.Groups[2].Value == "_" ? ' ' : row.Groups[2].Value[0], flag.LetterWhenClear);
            Assert.Equal(row.Groups[5].Value, flag.Reason);
            Assert.Empty(report.UnknownBits);
        }
    }

    [Fact]
    public void Letters_and_bits_match_the_kernels_own_tables()
    {
        // include/linux/panic.h: "#define TAINT_WARN  9"; kernel/panic.c: "[ TAINT_WARN ] = { 'W', ' ', false },"
        var bits = Regex.Matches(KernelFile("include/linux/panic.h"), @"#define (TAINT_[A-Z_]+)\s+(\d+)\s*$", RegexOptions.Multiline)
            .Where(m => m.Groups[1].Value != "TAINT_FLAGS_COUNT")
            .ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value));
        var letters = Regex.Matches(KernelFile("kernel/panic.c"), @"\[\s*(TAINT_[A-Z_]+)\s*\]\s*=\s*\{\s*'(.)',\s*'(.)'")
            .ToDictionary(m => m.Groups[1].Value, m => (m.Groups[2].Value[0], m.Groups[3].Value[0]));
        Assert.Equal(bits.Count, TaintFlags.Upstream.Count);
        foreach (var flag in TaintFlags.Upstream)
        {
            Assert.Equal(bits[flag.Name], flag.Bit);
            Assert.Equal(letters[flag.Name], (flag.Letter, flag.LetterWhenClear));
        }
    }

    [Fact]
    public void The_documented_example_prints_the_documented_tainted_line()
    {
        // tainted-kernels.rst: "Raw taint value as int/string: 4609/'P        W  O     '" (written for an 18-flag kernel; 6.1 has 19)
        var report = TaintReport.Explain(4609, SuseTaintLayout.None);
        Assert.Equal("Tainted: P        W  O      ", report.TaintedLine);
        Assert.Equal([0, 9, 12], report.Flags.Select(f => f.Bit));
        Assert.Equal("Not tainted", TaintReport.Explain(0).TaintedLine);
        Assert.Equal("Tainted: G                  ", TaintReport.Explain(1UL << 40, SuseTaintLayout.None).TaintedLine);
        Assert.Equal([40], TaintReport.Explain(1UL << 40, SuseTaintLayout.None).UnknownBits);
    }

    [Fact]
    public void Suse_support_bits_follow_the_supported_flag_patch()
    {
        // patches.suse/supported-flag: since 5.3 TAINT_EXTERNAL_SUPPORT is TAINT_AUX (16) and TAINT_NO_SUPPORT 31;
        // before, TAINT_NO_SUPPORT was 30 and TAINT_EXTERNAL_SUPPORT 31.
        var unsupported = TaintReport.Explain(2147483648, SuseTaintLayout.Current);
        Assert.Equal(("TAINT_NO_SUPPORT", 'N', true), (unsupported.Flags[0].Name, unsupported.Flags[0].Letter, unsupported.Flags[0].Suse));
        Assert.Equal("No, Unsupported modules are loaded", unsupported.Supported);
        Assert.Equal("Tainted: G                  N", unsupported.TaintedLine);

        var external = TaintReport.Explain(65536, SuseTaintLayout.Current);
        Assert.Equal("TAINT_EXTERNAL_SUPPORT", Assert.Single(external.Flags).Name);
        Assert.Equal("Yes, External", external.Supported);
        Assert.Equal("No, Proprietary and Unsupported modules are loaded", TaintReport.Explain(0x80000001, SuseTaintLayout.Current).Supported);
        Assert.Equal("No, Proprietary modules are loaded", TaintReport.Explain(1, SuseTaintLayout.Current).Supported);
        Assert.Equal("Yes", TaintReport.Explain(512, SuseTaintLayout.Current).Supported);

        Assert.Equal("TAINT_NO_SUPPORT", Assert.Single(TaintReport.Explain(0x40000000, SuseTaintLayout.Legacy).Flags).Name);
        Assert.Equal("TAINT_EXTERNAL_SUPPORT", Assert.Single(TaintReport.Explain(0x80000000, SuseTaintLayout.Legacy).Flags).Name);
        Assert.Equal([30], TaintReport.Explain(0x40000000, SuseTaintLayout.Current).UnknownBits);
        Assert.Null(TaintReport.Explain(0x40000000, SuseTaintLayout.None).Supported);
    }

    [Theory]
    [InlineData("4609", 4609UL)]
    [InlineData("0x1201", 4609UL)]
    [InlineData("0X1201\n", 4609UL)]
    [InlineData("18446744073709551615", ulong.MaxValue)]
    public void Values_read_as_decimal_or_hex(string text, ulong value) => Assert.Equal(value, TaintReport.ParseValue(text));

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("18446744073709551616")]
    public void Bad_values_are_refused(string text) => Assert.Throws<KpkException>(() => TaintReport.ParseValue(text));

    [Fact]
    public void Kpk_taint_explains_letter_by_letter()
    {
        var run = KpkProcess.Run("taint", "4609");
        Assert.True(run.Exit == 0, run.Err);
        Assert.Equal(
            "taint 4609 (0x1201)\n" +
            "Tainted: P        W  O       \n" +
            "  bit  0  P           1  proprietary module was loaded\n" +
            "  bit  9  W         512  kernel issued warning\n" +
            "  bit 12  O        4096  externally-built (\"out-of-tree\") module was loaded\n" +
            "supported: No, Proprietary modules are loaded\n", run.Out);

        var json = KpkProcess.Run("taint", "0x80000000", "--suse", "legacy", "--json");
        Assert.Equal(0, json.Exit);
        Assert.Contains("\"name\": \"TAINT_EXTERNAL_SUPPORT\"", json.Out);
        Assert.Contains("\"supported\": \"Yes, External\"", json.Out);

        var bad = KpkProcess.Run("taint", "P");
        Assert.Equal(1, bad.Exit);
        Assert.StartsWith("kpk: taint value 'P' is not a number", bad.Err);
    }
}
