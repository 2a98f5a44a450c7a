using System.Diagnostics;

namespace Kpk.Tests;

/// <summary>Runs the real <c>./kpk</c> of this checkout, as a user would, and captures what it prints.</summary>
public static class KpkProcess
{
    public sealed record Outcome(int Exit, string Out, string Err);

    public static Outcome Run(params string[] args) => RunIn(null, null, args);

    public static Outcome RunIn(string? workingDirectory, IDictionary<string, string>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(TestPaths.RepoRoot, "kpk"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? TestPaths.RepoRoot,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (environment != null) foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("kpk " + string.Join(' ', args) + " did not finish in 5 minutes");
        }
        return new Outcome(p.ExitCode, stdout.Result, stderr.Result);
    }
}
