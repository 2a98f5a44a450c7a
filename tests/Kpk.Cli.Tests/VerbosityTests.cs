using System.CommandLine;
using Kpk.Core;

namespace Kpk.Cli.Tests;

/// <summary><c>-v</c> is a count, however it is spelled, and the reporter shows each level's lines only from that count on.</summary>
public class VerbosityTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1, "-v")]
    [InlineData(1, "--verbose")]
    [InlineData(2, "-vv")]
    [InlineData(2, "-v", "-v")]
    [InlineData(2, "--verbose", "-v")]
    [InlineData(2, "--verbose", "--verbose")]
    [InlineData(3, "-vvv")]
    [InlineData(3, "-vv", "FILE", "-v")]
    public void Verbosity_counts_every_v(int expected, params string[] args)
    {
        var verbose = CommonOptions.Verbose();
        var file = new Argument<string?>("FILE") { Arity = ArgumentArity.ZeroOrOne };
        var command = new RootCommand { verbose, file };
        var result = command.Parse(args);
        Assert.Empty(result.Errors);
        Assert.Equal(expected, result.GetValue(verbose));
    }

    [Fact]
    public void The_reporter_shows_a_level_from_that_count_on()
    {
        foreach (int verbosity in new[] { 0, 1, 2, 3 })
        {
            var output = new StringWriter();
            var reporter = new TextReporter(output, verbosity);
            reporter.Info("always");
            reporter.Detail("detail");
            reporter.Detail("tools", VerbosityLevel.ToolOutput);
            string[] expected = ["always", .. verbosity >= 1 ? ["detail"] : Array.Empty<string>(), .. verbosity >= 2 ? ["tools"] : Array.Empty<string>()];
            Assert.Equal(expected, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
    }
}

/// <summary>Progress times count hours once there are any, instead of wrapping at 60 minutes.</summary>
public class ElapsedTimeTests
{
    [Theory]
    [InlineData(0, "00:00")]
    [InlineData(307, "05:07")]
    [InlineData(3599, "59:59")]
    [InlineData(3600, "1:00:00")]
    [InlineData(75 * 60 + 30, "1:15:30")]
    [InlineData(26 * 3600 + 61, "26:01:01")]
    public void Elapsed_times_show_hours(int seconds, string expected) =>
        Assert.Equal(expected, ElapsedTime.Format(TimeSpan.FromSeconds(seconds) + TimeSpan.FromMilliseconds(999)));
}
