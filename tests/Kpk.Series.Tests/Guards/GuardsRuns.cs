using System.Diagnostics;
using System.Text;
using Kpk.Series.Guards;
using Kpk.Tests;
using Xunit;

namespace Kpk.Series.Tests.Guards;

/// <summary>What one guards run produced.</summary>
public sealed record GuardsRun(int Exit, byte[] Out, byte[] Err)
{
    public string OutText => Encoding.Latin1.GetString(Out);
    public string ErrText => Encoding.Latin1.GetString(Err);
}

/// <summary>
/// Runs the reference (/usr/bin/guards from quilt) and kpk's guards (the library in process, or
/// the ./kpk command) on the same arguments, input bytes and directory, and compares what they
/// print and return.
/// </summary>
public static class GuardsRuns
{
    public const string Reference = "/usr/bin/guards";

    public static GuardsRun Perl(IReadOnlyList<string> args, byte[] stdin, string? cwd = null, bool posixlyCorrect = false) =>
        Process(Reference, args, stdin, cwd, posixlyCorrect);

    /// <summary>The library, in this process; its help text names the program as the reference's does.</summary>
    public static GuardsRun Library(IReadOnlyList<string> args, byte[] stdin, string? cwd = null, bool posixlyCorrect = false)
    {
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        int exit = GuardsProgram.Run(args, new GuardsEnvironment
        {
            Input = new MemoryStream(stdin),
            Output = stdout,
            Error = stderr,
            ProgramName = Reference,
            PosixlyCorrect = posixlyCorrect,
            WorkingDirectory = cwd,
        });
        return new GuardsRun(exit, stdout.ToArray(), stderr.ToArray());
    }

    /// <summary>The real ./kpk guards.</summary>
    public static GuardsRun Cli(IReadOnlyList<string> args, byte[] stdin, string? cwd = null, bool posixlyCorrect = false) =>
        Process(Path.Combine(TestPaths.RepoRoot, "kpk"), ["guards", .. args], stdin, cwd, posixlyCorrect);

    /// <summary>
    /// Asserts that the library does what the reference does. In --check mode the lines after the
    /// "not found" ones come from a perl hash in random order, so those are compared as sets.
    /// </summary>
    public static void AssertSame(IReadOnlyList<string> args, byte[] stdin, string? cwd = null, bool posixlyCorrect = false)
    {
        var expected = Perl(args, stdin, cwd, posixlyCorrect);
        var actual = Library(args, stdin, cwd, posixlyCorrect);
        AssertSame(expected, actual, args, stdin);
    }

    public static void AssertSame(GuardsRun expected, GuardsRun actual, IReadOnlyList<string> args, byte[] stdin)
    {
        string what = $"guards {string.Join(' ', args.Select(Quote))} < {Quote(Encoding.Latin1.GetString(stdin))}";
        Assert.True(expected.ErrText == actual.ErrText, $"{what}: stderr differs\nreference: {Quote(expected.ErrText)}\nkpk:       {Quote(actual.ErrText)}");
        bool check = GuardsArguments.Parse(args.Select(ByteText.FromUnicode).ToList()) is { ShowHelp: false, Settings.Check: true };
        string want = check ? CheckOrder(expected.OutText) : expected.OutText;
        string got = check ? CheckOrder(actual.OutText) : actual.OutText;
        Assert.True(want == got, $"{what}: stdout differs\nreference: {Quote(expected.OutText)}\nkpk:       {Quote(actual.OutText)}");
        Assert.True(expected.Exit == actual.Exit, $"{what}: exit status {actual.Exit}, reference {expected.Exit}");
    }

    /// <summary>--check output with its hash-ordered tail sorted.</summary>
    private static string CheckOrder(string output)
    {
        var lines = output.Split('\n').ToList();
        int ordered = lines.FindIndex(l => !(l.StartsWith("Not found: ") || (l.StartsWith("In ") && l.Contains(" but not found: "))));
        if (ordered < 0) return output;
        var tail = lines.Skip(ordered).Where(l => l.Length > 0).OrderBy(l => l, StringComparer.Ordinal);
        return string.Join('\n', lines.Take(ordered).Concat(tail));
    }

    public static string Quote(string s)
    {
        var b = new StringBuilder("'");
        foreach (char c in s)
            b.Append(c switch { '\n' => "\\n", '\t' => "\\t", '\r' => "\\r", '\v' => "\\v", '\f' => "\\f", '\'' => "\\'", _ when c < ' ' || c > '~' => $"\\x{(int)c:x2}", _ => c.ToString() });
        return b.Append('\'').ToString();
    }

    private static GuardsRun Process(string program, IReadOnlyList<string> args, byte[] stdin, string? cwd, bool posixlyCorrect)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = cwd ?? Environment.CurrentDirectory,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("POSIXLY_CORRECT");
        if (posixlyCorrect) psi.Environment["POSIXLY_CORRECT"] = "1";
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        var reading = Task.WhenAll(p.StandardOutput.BaseStream.CopyToAsync(stdout), p.StandardError.BaseStream.CopyToAsync(stderr));
        try
        {
            p.StandardInput.BaseStream.Write(stdin);
            p.StandardInput.Close();
        }
        catch (IOException)
        {
            // the program exited without reading all of its input (help, bad option, --config)
        }
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish");
        }
        reading.Wait();
        return new GuardsRun(p.ExitCode, stdout.ToArray(), stderr.ToArray());
    }
}
