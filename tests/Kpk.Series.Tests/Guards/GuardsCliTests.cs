using System.Text;
using Kpk.Tests;
using Xunit;

namespace Kpk.Series.Tests.Guards;

/// <summary>The real ./kpk guards: arguments reach guards untouched (no response files, no help of kpk's own, -- kept), bytes pass unchanged.</summary>
public class GuardsCliTests
{
    private static byte[] Bytes(string latin1) => Encoding.Latin1.GetBytes(latin1);

    [Fact]
    public void Kpk_guards_behaves_like_the_reference_on_its_command_line()
    {
        using var dir = TestPaths.TempDir("kpk-guards-cli");
        File.WriteAllBytes(dir["series"], Bytes("a\n+x b\n-x c\n+\xe9 d\xff\n"));
        File.WriteAllText(dir["list"], "a\nb\n");
        File.WriteAllText(dir["a"], "");
        string[][] lines =
        [
            ["--config=series", "x"], ["-c", "series", "\u00e9"], ["--check", "--path", "@list", "--config=series"],
            ["--check", "--path", "@missing", "--config=series"], ["-c", "series", "--", "--list"], ["--bogus"], ["-c", "missing"],
            ["-c", "series", "/h"], ["-c", "series", "@list"], ["-c", "series", "[diagram]"], ["--version"],
        ];
        foreach (var args in lines)
        {
            var expected = GuardsRuns.Perl(args, [], dir.Path);
            var actual = GuardsRuns.Cli(args, [], dir.Path);
            GuardsRuns.AssertSame(expected, Renamed(actual), args, []);
        }
    }

    [Fact]
    public void Kpk_guards_reads_standard_input_and_honours_POSIXLY_CORRECT()
    {
        byte[] input = Bytes("a\n+x b\n-x c\n");
        foreach (bool posix in new[] { false, true })
        {
            string[] args = ["x", "--list"];
            GuardsRuns.AssertSame(GuardsRuns.Perl(args, input, posixlyCorrect: posix), GuardsRuns.Cli(args, input, posixlyCorrect: posix), args, input);
        }
    }

    [Fact]
    public void Help_is_guards_help_under_kpks_name()
    {
        foreach (string help in new[] { "-h", "--help", "-?" })
        {
            var run = GuardsRuns.Cli([help], []);
            Assert.Equal(0, run.Exit);
            Assert.StartsWith("kpk guards - select from a list of files guarded by conditions\nSYNOPSIS: kpk guards [--prefix=dir]", run.OutText);
            Assert.Contains("\tDefaults: --default=1\n", run.OutText);
        }
    }

    [Fact]
    public void A_reader_that_goes_away_ends_kpk_guards_as_it_ends_the_reference()
    {
        using var dir = TestPaths.TempDir("kpk-guards-pipe");
        // Far more than a pipe holds, so the writer meets the closed pipe.
        File.WriteAllText(dir["series"], string.Concat(Enumerable.Range(0, 40000).Select(i => $"patches/{i:D6}.patch\n")));
        foreach (string program in new[] { GuardsRuns.Reference, Path.Combine(TestPaths.RepoRoot, "kpk") + " guards" })
        {
            // As from a shell: this test host ignores SIGPIPE, and its children would inherit that.
            var psi = new System.Diagnostics.ProcessStartInfo("env") { RedirectStandardOutput = true, WorkingDirectory = dir.Path };
            foreach (string a in new[] { "--default-signal=PIPE", "/bin/bash", "-c" }) psi.ArgumentList.Add(a);
            psi.ArgumentList.Add($"{program} --list --config=series | head -c 10 >/dev/null; echo ${{PIPESTATUS[0]}}");
            using var p = System.Diagnostics.Process.Start(psi)!;
            string status = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            Assert.True(status == "141", $"{program}: exit status {status} when the reader closed the pipe, not 141 (SIGPIPE)");
        }
    }

    /// <summary>The reference's help names /usr/bin/guards where kpk's says "kpk guards".</summary>
    private static GuardsRun Renamed(GuardsRun run) =>
        run with { Out = Encoding.Latin1.GetBytes(run.OutText.Replace("kpk guards", GuardsRuns.Reference)) };
}
