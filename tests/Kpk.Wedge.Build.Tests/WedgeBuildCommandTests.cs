using System.CommandLine;
using System.Text.Json;
using Kpk.Cli.Commands;
using Kpk.Core;
using Xunit;

namespace Kpk.Wedge.Build.Tests;

/// <summary>
/// The build subcommand, attached under a "wedge" command the way the CLI will attach it, and
/// invoked in-process with its output captured.
/// </summary>
public class WedgeBuildCommandTests
{
    private sealed record Outcome(int Exit, string Out, string Err);

    private static Outcome Run(params string[] args)
    {
        var root = new RootCommand { new Command("wedge") { WedgeBuildCommand.Create() } };
        var output = new StringWriter();
        var error = new StringWriter();
        try
        {
            int exit = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
            return new Outcome(exit, output.ToString(), error.ToString());
        }
        catch (KpkException e)
        {
            // What CliRunner does with it.
            return new Outcome(e.ExitCode, output.ToString(), error + "kpk: " + e.Message);
        }
    }

    [Fact]
    public void Builds_all_udebs_and_lists_them()
    {
        using var f = new UdebFixture().StageAll();
        var r = Run("wedge", "build", "--dir", f.Debian, "--out", f.Output, "--arch", UdebFixture.Arch);
        Assert.Equal(0, r.Exit);
        var files = Directory.GetFiles(f.Output).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(3, files.Count);
        foreach (var file in files)
        {
            Assert.Contains(file + " (", r.Out);
            ExternalTool.Check("dpkg-deb", ["--info", file]);
        }
    }

    [Fact]
    public void Default_output_is_the_parent_of_the_source_tree()
    {
        using var f = new UdebFixture().StageAll();
        var r = Run("wedge", "build", "--dir", f.Debian, "--arch", UdebFixture.Arch, UdebFixture.Package("kernel-image"));
        Assert.Equal(0, r.Exit);
        Assert.Single(Directory.GetFiles(f.Root, "*.udeb"));
    }

    [Fact]
    public void Json_reports_each_package()
    {
        using var f = new UdebFixture().StageAll();
        var r = Run("wedge", "build", "--dir", f.Debian, "--out", f.Output, "--arch", UdebFixture.Arch, "--json", "--version", "6.1.76-1+b2",
            "--source-date-epoch", "1700000000", UdebFixture.Package("nic-modules"));
        Assert.Equal(0, r.Exit);
        var doc = JsonDocument.Parse(r.Out).RootElement;
        var one = Assert.Single(doc.EnumerateArray());
        Assert.Equal(UdebFixture.Package("nic-modules"), one.GetProperty("package").GetString());
        Assert.Equal("6.1.76-1+b2", one.GetProperty("version").GetString());
        Assert.EndsWith("_6.1.76-1+b2_" + UdebFixture.Arch + ".udeb", one.GetProperty("file").GetString());
        Assert.Equal("linux-kwtest (6.1.76-1)", ExternalTool.Check("dpkg-deb", ["--field", one.GetProperty("file").GetString()!, "Source"]).Text.Trim());
    }

    [Fact]
    public void Unknown_package_is_an_error_with_nothing_written()
    {
        using var f = new UdebFixture().StageAll();
        var r = Run("wedge", "build", "--dir", f.Debian, "--out", f.Output, "--arch", UdebFixture.Arch, "no-such-di");
        Assert.Equal(1, r.Exit);
        Assert.Contains("kpk: ", r.Err);
        Assert.Contains("package no-such-di is not in the control file", r.Err);
        Assert.Empty(Directory.GetFileSystemEntries(f.Output));
    }

    [Fact]
    public void Missing_debian_directory()
    {
        using var f = new UdebFixture();
        var r = Run("wedge", "build", "--dir", f["nowhere"], "--out", f.Output);
        Assert.Equal(1, r.Exit);
        Assert.Contains("nowhere: directory does not exist", r.Err);
    }
}
