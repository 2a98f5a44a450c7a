namespace Kpk.Core;

/// <summary>Durations as people read them in progress lines: m:ss, and h:mm:ss past an hour (distribution builds run longer).</summary>
public static class Elapsed
{
    public static string Format(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{t.Minutes:00}:{t.Seconds:00}";
}
