using System.Diagnostics;
using Kpk.Tests;
using Xunit;

namespace Kpk.Runtime.Tests;

/// <summary>The drop-ins as scripts call them: the built kpk through a link named after the tool, or kpk TOOL ...</summary>
public class CompatCliTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.TempDir("kpk-compat-cli");
    public void Dispose() => _dir.Dispose();

    private sealed record Outcome(int Exit, string Out, string Err);

    private Outcome Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir.Path };
        foreach (string a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return new Outcome(p.ExitCode, output, err.Result);
    }

    /// <summary>A link named <paramref name="name"/> to kpk's executable, as a package would install it.</summary>
    private string Link(string name)
    {
        string link = Path.Combine(_dir.Path, name);
        File.CreateSymbolicLink(link, Path.Combine(AppContext.BaseDirectory, "kpk"));
        return link;
    }

    private Outcome Kpk(params string[] args) => Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "kpk.dll"), .. args]);

    [Fact]
    public void A_link_named_kpatch_answers_as_kpatch()
    {
        var r = Run(Link("kpatch"), "version");
        Assert.Equal((0, "0.9.7\n"), (r.Exit, r.Out));
    }

    [Fact]
    public void A_link_named_kpatch_build_answers_as_kpatch_build()
    {
        var r = Run(Link("kpatch-build"));
        Assert.Equal(1, r.Exit);
        Assert.StartsWith("ERROR: no patch file(s) specified\nusage: kpatch-build [options] <patch1 ... patchN>", r.Err);
        Assert.Equal("", r.Out);
    }

    [Fact]
    public void Kpk_kpatch_build_help_is_kpatch_builds_usage_on_stderr_exit_0()
    {
        var r = Kpk("kpatch-build", "--help");
        Assert.Equal((0, ""), (r.Exit, r.Out));
        Assert.StartsWith("usage: kpatch-build [options] <patch1 ... patchN>\n", r.Err);
    }

    [Fact]
    public void Kpatch_build_reports_kpk_creates_refusal_in_its_own_words()
    {
        // The whole way: translated, parsed as kpk create, validated by create, reported as kpatch-build does.
        string src = Directory.CreateDirectory(Path.Combine(_dir.Path, "linux")).FullName;
        File.WriteAllText(Path.Combine(src, "vmlinux"), "Linux version 6.1.0-13-amd64");
        File.WriteAllText(Path.Combine(src, ".config"), "CONFIG_LIVEPATCH=y\n");
        File.WriteAllText(Path.Combine(_dir.Path, "fix.patch"), "--- a/x\n+++ b/x\n");
        var r = Kpk("kpatch-build", "-s", "linux", "-R", "fix.patch");
        Assert.Equal(1, r.Exit);
        Assert.Equal($"ERROR: {src}/vmlinux: not an ELF file (bad magic).\n", r.Err); // create's own check, kpatch-build's shape
        Assert.Equal($"Using source directory at {src}\n", r.Out);
    }

    [Fact]
    public void Ksplice_create_without_orig_config_dies_as_ksplice_create_does()
    {
        string src = Directory.CreateDirectory(Path.Combine(_dir.Path, "linux")).FullName;
        var link = Run(Link("ksplice-create"), "--prebuild", "linux");
        Assert.Equal((255, $"Failed to find ORIG_CONFIG directory ({src}/ksplice)\n"), (link.Exit, link.Err));
        var usage = Kpk("ksplice-create", "linux");
        Assert.Equal(1, usage.Exit);
        Assert.StartsWith("Usage:\n    ksplice-create [OPTIONS] --patch=PATCH_FILE KERNEL_SOURCE\n", usage.Out);
    }

    [Fact]
    public void Kpk_help_lists_the_drop_ins()
    {
        var r = Kpk("--help");
        Assert.Equal(0, r.Exit);
        Assert.Contains("kpatch-build", r.Out);
        Assert.Contains("ksplice-create", r.Out);
    }
}
