namespace Kpk.Cli.Tests;

/// <summary>
/// A wrong command line gets one line on stderr — the verb, the bad option or argument in the
/// user's words, and where the help is — nothing on stdout, and exit 2. Help is printed only
/// when asked for, by <c>--help</c> or <c>kpk help VERB [SUBVERB]</c>.
/// </summary>
public class UsageErrorTests
{
    [Theory]
    [InlineData("kpk create: -j: 'abc' is not a whole number; see 'kpk create --help'", "create", "-j", "abc", "SRC")]
    [InlineData("kpk create: --jobs: 'x' is not a whole number; see 'kpk create --help'", "create", "--jobs", "x", "SRC")]
    [InlineData("kpk apply: --wait: 'soon' is not a number; see 'kpk apply --help'", "apply", "--wait", "soon", "lp.ko")]
    [InlineData("kpk taint: --suse: 'foo' is not one of none, current, legacy, early; see 'kpk taint --help'", "taint", "--suse", "foo")]
    [InlineData("kpk demo: --series: '5.4' is not one of 6.12, 6.1; see 'kpk demo --help'", "demo", "--series", "5.4")]
    [InlineData("kpk: 'lst' is not a verb of kpk (did you mean 'list'?); see 'kpk --help'", "lst")]
    [InlineData("kpk wedge: 'biuld' is not a verb of kpk wedge (did you mean 'build'?); see 'kpk wedge --help'", "wedge", "biuld")]
    [InlineData("kpk create: unknown option '--jbos' (did you mean '--jobs'?); see 'kpk create --help'", "create", "--jbos", "3", "SRC")]
    [InlineData("kpk taint: unexpected argument 'extra'; see 'kpk taint --help'", "taint", "1", "extra")]
    [InlineData("kpk diff-object: Option '--parent' is required; see 'kpk diff-object --help'", "diff-object", "a.o", "b.o", "-o", "c.o")]
    [InlineData("kpk help: 'nothing' is not a verb of kpk; see 'kpk --help'", "help", "nothing")]
    [InlineData("kpk help: 'nothing' is not a verb of kpk wedge; see 'kpk --help'", "help", "wedge", "nothing")]
    public void A_usage_error_is_one_line_on_stderr_and_exit_2(string expected, params string[] args)
    {
        var run = KpkProcess.Run(args);
        Assert.Equal(2, run.Exit);
        Assert.Equal("", run.Out);
        Assert.Equal(expected + "\n", WithoutBuildNotice(run.Err));
        Assert.DoesNotContain("System.", run.Err);
    }

    [Theory]
    [InlineData("list")]
    [InlineData("create")]
    [InlineData("wedge", "build")]
    [InlineData("config", "diff")]
    [InlineData("guards")]
    public void Help_verb_prints_what_verb_help_prints(params string[] verb)
    {
        var help = KpkProcess.Run(["help", .. verb]);
        var option = KpkProcess.Run([.. verb, "--help"]);
        Assert.Equal(0, help.Exit);
        Assert.Equal(option.Exit, help.Exit);
        Assert.True(help.Out.Length > 100, help.Out);
        Assert.Equal(option.Out, help.Out);
    }

    [Fact]
    public void Help_alone_is_kpks_help()
    {
        var help = KpkProcess.Run("help");
        Assert.Equal(0, help.Exit);
        Assert.Equal(KpkProcess.Run("--help").Out, help.Out);
        Assert.Contains("help", help.Out);
    }

    /// <summary>./kpk says when it rebuilds itself first; that line is not the verb's.</summary>
    private static string WithoutBuildNotice(string err) =>
        string.Concat(err.Split('\n').SkipLast(1).Where(l => !l.StartsWith("kpk: building kpk", StringComparison.Ordinal)).Select(l => l + "\n"));
}
