using System.Diagnostics;
using System.Text;
using Kpk.Core;

namespace Kpk.Build;

/// <summary>The outcome of one external command.</summary>
public sealed record ToolResult(int ExitCode, string Output)
{
    public bool Ok => ExitCode == 0;
}

/// <summary>
/// Runs the external tools kpk drives (make, patch, the compiler, ld, git). Output goes to a log
/// file when one is given (builds print a lot), else it is captured. Cancellation kills the whole
/// process tree, so Ctrl-C never leaves a make running behind kpk.
/// </summary>
public static class Tool
{
    /// <summary>The argument list of a command given as one string (e.g. <c>CC="ccache gcc"</c>); splits on blanks.</summary>
    public static string[] Words(string command) => command.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static ToolResult Run(string program, IEnumerable<string> args, string? workingDirectory, CancellationToken cancel,
        string? logFile = null, IDictionary<string, string?>? environment = null, string? stdinFile = null,
        Action<string>? onLine = null)
    {
        cancel.ThrowIfCancellationRequested();
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        if (environment != null)
            foreach (var (k, v) in environment)
            {
                if (v == null) psi.Environment.Remove(k);
                else psi.Environment[k] = v;
            }

        Process process;
        try { process = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new KpkException($"{program} is not installed or not on PATH");
        }
        using (process)
        {
            using var log = logFile != null ? new StreamWriter(logFile, append: true) { AutoFlush = false } : null;
            var captured = new StringBuilder();
            var gate = new object();
            void Line(string? line)
            {
                if (line == null) return;
                lock (gate)
                {
                    if (log != null) log.WriteLine(line);
                    else captured.AppendLine(line);
                    onLine?.Invoke(line);
                }
            }
            process.OutputDataReceived += (_, e) => Line(e.Data);
            process.ErrorDataReceived += (_, e) => Line(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (stdinFile != null)
            {
                using var input = File.OpenRead(stdinFile);
                input.CopyTo(process.StandardInput.BaseStream);
            }
            process.StandardInput.Close();
            try
            {
                process.WaitForExitAsync(cancel).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                process.WaitForExit();
                throw;
            }
            process.WaitForExit(); // drains the asynchronous readers
            lock (gate) return new ToolResult(process.ExitCode, captured.ToString());
        }
    }

    /// <summary>Runs a command that must succeed; its output is the error message when it does not.</summary>
    public static string Check(string program, IEnumerable<string> args, string? workingDirectory, CancellationToken cancel)
    {
        var list = args.ToList();
        var r = Run(program, list, workingDirectory, cancel);
        if (!r.Ok)
            throw new KpkException($"{program} {string.Join(' ', list)} failed (exit {r.ExitCode}):\n{r.Output.TrimEnd()}");
        return r.Output;
    }
}
