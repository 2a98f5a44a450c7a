using System.Diagnostics;

namespace Kpk.Series.Apply;

/// <summary>Housekeeping in the scratch directory: work directories a killed run left behind.</summary>
internal static class ScratchArea
{
    /// <summary>Removes <c>PREFIX-PID</c> directories whose process is gone (a run killed with SIGKILL or a power cut).</summary>
    public static void RemoveStale(string scratch, string prefix)
    {
        foreach (string dir in Directory.EnumerateDirectories(scratch, prefix + "-*"))
        {
            string tail = dir[(dir.LastIndexOf('-') + 1)..];
            if (!int.TryParse(tail, out int pid) || pid == Environment.ProcessId || IsRunning(pid)) continue;
            VanillaSource.DeleteTree(dir);
        }
    }

    private static bool IsRunning(int pid)
    {
        try { using var p = Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}
