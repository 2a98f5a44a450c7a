using System.Diagnostics;

namespace Kpk.Bench;

/// <summary>Wall time and memory of a piece of work, printed as one line.</summary>
public static class Measure
{
    public sealed record Figures(TimeSpan Elapsed, long AllocatedBytes, long PeakWorkingSet);

    public static Figures Time(Action work)
    {
        GC.Collect();
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        work();
        clock.Stop();
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return new Figures(clock.Elapsed, GC.GetTotalAllocatedBytes(precise: true) - allocated, self.PeakWorkingSet64);
    }

    public static string Mb(long bytes) => $"{bytes / (1024.0 * 1024.0):F1} MiB";
}
