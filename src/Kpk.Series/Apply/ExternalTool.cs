using System.Diagnostics;
using Kpk.Core;

namespace Kpk.Series.Apply;

/// <summary>What an external program did: its exit code and everything it printed (stdout, then stderr).</summary>
internal sealed record ToolRun(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>
/// Runs the external programs series apply needs (GNU patch, tar) with a predictable environment:
/// C locale and no variables that change how patch names or makes its backups.
/// </summary>
internal static class ExternalTool
{
    /// <summary>Variables that would change patch's backups or messages behind our back.</summary>
    private static readonly string[] Scrubbed =
        ["POSIXLY_CORRECT", "PATCH_GET", "PATCH_VERSION_CONTROL", "VERSION_CONTROL", "SIMPLE_BACKUP_SUFFIX", "QUOTING_STYLE"];

    /// <summary>The full path of PROGRAM on PATH, or null.</summary>
    public static string? Find(string program)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>
    /// Runs PROGRAM in DIRECTORY. When <paramref name="feed"/> is given it writes the program's
    /// standard input (a program that stops reading early is not an error here; its exit code tells).
    /// When <paramref name="killOnCancel"/> is set, cancellation kills the program; otherwise the
    /// program is left to finish so the caller reaches a consistent state first.
    /// </summary>
    public static ToolRun Run(string program, IEnumerable<string> args, string directory, Action<Stream>? feed = null,
        CancellationToken cancel = default, bool killOnCancel = false)
    {
        var psi = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        foreach (string v in Scrubbed) psi.Environment.Remove(v);
        psi.Environment["LC_ALL"] = "C";
        Process process;
        try { process = Process.Start(psi) ?? throw new KpkException($"cannot start {program}"); }
        catch (System.ComponentModel.Win32Exception e) { throw new KpkException($"cannot run {program}: {e.Message}"); }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var killer = killOnCancel
                ? cancel.Register(() => { try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } })
                : default;
            Exception? feedFailure = null;
            try
            {
                if (feed != null) feed(process.StandardInput.BaseStream);
            }
            catch (IOException) { } // the program stopped reading (it failed, or was killed); its exit code says which
            catch (Exception e) { feedFailure = e; } // reported once the program has ended, never leaving it running
            finally
            {
                try { process.StandardInput.Close(); } catch (IOException) { }
            }
            process.WaitForExit();
            if (feedFailure != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(feedFailure);
            string output = stdout.Result + stderr.Result;
            return new ToolRun(process.ExitCode, output);
        }
    }
}
