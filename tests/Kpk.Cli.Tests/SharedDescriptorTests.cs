using System.Diagnostics;

namespace Kpk.Cli.Tests;

/// <summary>
/// kpk writing to a descriptor it shares with other commands (a shell group redirected to one
/// file) must move the shared offset, so the next writer appends after kpk's output instead of
/// overwriting it. Checked for every way kpk writes: raw bytes (guards, supported), Console text
/// (taint, config diff, help) and error messages on stderr.
/// </summary>
public class SharedDescriptorTests
{
    public static TheoryData<string, string[]> Verbs() => new()
    {
        { "guards", ["guards", "x"] },
        { "guards --list", ["guards", "--list", "--with-guards"] },
        { "guards bad option", ["guards", "--nonsense"] },
        { "supported", ["supported", "supported.conf"] },
        { "taint", ["taint", "4609"] },
        { "config diff", ["config", "diff", "a.config", "b.config"] },
        { "help", ["guards", "--help"] },
        { "kpk help", ["--help"] },
        { "usage error", ["taint", "--nonsense"] },
        { "runtime error", ["supported", "missing.conf"] },
    };

    [Theory]
    [MemberData(nameof(Verbs))]
    public void Output_written_between_two_other_writers_is_kept(string what, string[] args)
    {
        using var dir = TestPaths.TempDir("kpk-fd");
        File.WriteAllText(dir["series.conf"], "a.patch\n+x b.patch\n-x c.patch\n");
        File.WriteAllText(dir["supported.conf"], "+base\tfoo\n-\tbar\n");
        File.WriteAllText(dir["a.config"], "CONFIG_A=y\nCONFIG_B=m\n");
        File.WriteAllText(dir["b.config"], "CONFIG_A=m\nCONFIG_C=y\n");
        Shell(dir.Path, args, "\"$0\" \"$@\" < series.conf > alone.out 2> alone.err");
        string aloneOut = File.ReadAllText(dir["alone.out"]), aloneErr = File.ReadAllText(dir["alone.err"]);
        Assert.True(aloneOut.Length + aloneErr.Length > 0, $"{what}: kpk printed nothing");

        Shell(dir.Path, args, "{ echo A; \"$0\" \"$@\" < series.conf; echo B; } > grouped.out 2>/dev/null");
        Assert.Equal("A\n" + aloneOut + "B\n", File.ReadAllText(dir["grouped.out"]));
        Shell(dir.Path, args, "{ echo A >&2; \"$0\" \"$@\" < series.conf; echo B >&2; } 2> grouped.err >/dev/null");
        Assert.Equal("A\n" + aloneErr + "B\n", File.ReadAllText(dir["grouped.err"]));
    }

    /// <summary>Runs SCRIPT with sh in DIR, $0 being ./kpk and $@ the ARGS; returns what sh itself printed on stderr.</summary>
    private static string Shell(string dir, string[] args, string script)
    {
        var psi = new ProcessStartInfo("sh") { WorkingDirectory = dir, RedirectStandardError = true };
        foreach (string a in (string[])["-c", script, Path.Combine(TestPaths.RepoRoot, "kpk"), .. args]) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return err;
    }
}
