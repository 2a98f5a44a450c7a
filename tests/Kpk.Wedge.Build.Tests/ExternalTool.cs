using System.Diagnostics;

namespace Kpk.Wedge.Build.Tests;

/// <summary>Runs a reference tool (xz, dpkg-deb, tar, ar) with bytes on stdin and captures its output as bytes.</summary>
public static class ExternalTool
{
    public sealed record Result(int Exit, byte[] Out, string Err)
    {
        public string Text => System.Text.Encoding.UTF8.GetString(Out);
    }

    public static Result Run(string tool, IEnumerable<string> args, byte[]? stdin = null, string? workingDirectory = null, IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        if (environment != null) foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var outTask = Task.Run(() =>
        {
            var ms = new MemoryStream();
            p.StandardOutput.BaseStream.CopyTo(ms);
            return ms.ToArray();
        });
        var errTask = p.StandardError.ReadToEndAsync();
        try
        {
            if (stdin != null) p.StandardInput.BaseStream.Write(stdin);
            p.StandardInput.Close();
        }
        catch (IOException)
        {
            // The tool stopped reading early (e.g. on a format error); its exit status tells.
        }
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', args)} did not finish");
        }
        return new Result(p.ExitCode, outTask.Result, errTask.Result);
    }

    public static Result Check(string tool, IEnumerable<string> args, byte[]? stdin = null, string? workingDirectory = null, IDictionary<string, string>? environment = null)
    {
        var r = Run(tool, args, stdin, workingDirectory, environment);
        if (r.Exit != 0) throw new Xunit.Sdk.XunitException($"{tool} {string.Join(' ', args)} failed ({r.Exit}): {r.Err}");
        return r;
    }
}
