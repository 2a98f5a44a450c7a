using System.Diagnostics;
using Kpk.Tests;

namespace Kpk.Wedge.Tests;

/// <summary>What a command printed and how it ended.</summary>
public sealed record Outcome(int Exit, string Out, string Err)
{
    public override string ToString() => $"exit {Exit}\n--- stdout\n{Out}--- stderr\n{Err}";
}

/// <summary>
/// Runs the reference (Debian's kernel-wedge) and kpk's wedge on the same inputs, each with
/// exactly the environment given: variables kernel-wedge reads are removed unless the test sets them.
/// </summary>
public static class Tools
{
    private static readonly string[] WedgeVariables =
    [
        "KW_DEFCONFIG_DIR", "KW_CONFIG_DIR", "SOURCEDIR", "KW_CHECK_NONFATAL", "DEB_HOST_ARCH", "DEB_HOST_ARCH_OS",
        "DEPMOD", "DEB_BUILD_PROFILES", "DH_OPTIONS", "DH_INTERNAL_OPTIONS", "DH_COMPAT", "LANG", "LANGUAGE",
    ];

    public static Outcome Reference(string cwd, IReadOnlyDictionary<string, string> env, params string[] args)
    {
        if (!File.Exists("/usr/bin/kernel-wedge"))
            throw new InvalidOperationException("the reference /usr/bin/kernel-wedge is not installed: run scripts/install-deps");
        return Run("/usr/bin/kernel-wedge", cwd, env, args);
    }

    public static Outcome Kpk(string cwd, IReadOnlyDictionary<string, string> env, params string[] args) =>
        Run(Path.Combine(TestPaths.RepoRoot, "kpk"), cwd, env, ["wedge", .. args]);

    private static Outcome Run(string program, string cwd, IReadOnlyDictionary<string, string> env, string[] args)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = cwd,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var v in WedgeVariables) psi.Environment.Remove(v);
        psi.Environment["LC_ALL"] = "C"; // the reference sorts with sort(1): byte order only in the C locale
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in 5 minutes");
        }
        return new Outcome(p.ExitCode, stdout.Result, stderr.Result);
    }
}
