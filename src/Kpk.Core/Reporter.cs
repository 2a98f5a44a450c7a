namespace Kpk.Core;

/// <summary>
/// Where long-running work reports what it is doing. Layers below the CLI never write to the
/// console directly; they are handed a reporter, so tests can capture it and the CLI decides
/// how to show it (plain lines when not a terminal).
/// </summary>
public interface IReporter
{
    /// <summary>How chatty the user asked us to be: how many times -v was given (see <see cref="VerbosityLevel"/>).</summary>
    int Verbosity { get; }
    /// <summary>A new stage of the work begins (e.g. "building original kernel").</summary>
    void Stage(string name);
    /// <summary>An ordinary progress line.</summary>
    void Info(string message);
    /// <summary>Only shown from verbosity LEVEL on (<see cref="VerbosityLevel.Detail"/>: -v, <see cref="VerbosityLevel.ToolOutput"/>: -vv).</summary>
    void Detail(string message, int level = VerbosityLevel.Detail);
    void Warning(string message);
}

/// <summary>What each count of -v adds; every verb reports by these levels.</summary>
public static class VerbosityLevel
{
    /// <summary>No -v: stages, progress and warnings.</summary>
    public const int Normal = 0;
    /// <summary>-v: what kpk found and decided (changed functions, the compiler, skipped patches, blocking tasks).</summary>
    public const int Detail = 1;
    /// <summary>-vv: also the output of the tools kpk runs, line by line as it comes (make, patch).</summary>
    public const int ToolOutput = 2;
}

/// <summary>How long something took, as progress lines show it.</summary>
public static class ElapsedTime
{
    /// <summary>Minutes and seconds, with hours in front once there are any (distribution builds run for hours): 05:07, 1:15:30, 26:00:00.</summary>
    public static string Format(TimeSpan t)
    {
        long seconds = (long)t.TotalSeconds;
        long hours = seconds / 3600, minutes = seconds / 60 % 60;
        return hours > 0 ? $"{hours}:{minutes:00}:{seconds % 60:00}" : $"{minutes:00}:{seconds % 60:00}";
    }
}

/// <summary>Writes progress to a text writer (stderr in the CLI) as plain lines.</summary>
public sealed class TextReporter(TextWriter output, int verbosity = 0) : IReporter
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly object _lock = new();

    public int Verbosity { get; } = verbosity;

    public void Stage(string name) => Write($"[{ElapsedTime.Format(_clock.Elapsed)}] {name}");
    public void Info(string message) => Write(message);
    public void Detail(string message, int level = VerbosityLevel.Detail)
    {
        if (Verbosity >= level) Write(message);
    }
    public void Warning(string message) => Write("warning: " + message);

    private void Write(string line)
    {
        lock (_lock) output.WriteLine(line);
    }
}

/// <summary>Discards everything; for callers that want no progress.</summary>
public sealed class NullReporter : IReporter
{
    public static readonly NullReporter Instance = new();
    public int Verbosity => 0;
    public void Stage(string name) { }
    public void Info(string message) { }
    public void Detail(string message, int level = VerbosityLevel.Detail) { }
    public void Warning(string message) { }
}

/// <summary>Keeps every line; for tests that assert on what was reported.</summary>
public sealed class RecordingReporter(int verbosity = 0) : IReporter
{
    private readonly List<string> _lines = new();
    public int Verbosity { get; } = verbosity;
    public IReadOnlyList<string> Lines { get { lock (_lines) return _lines.ToArray(); } }
    public void Stage(string name) { lock (_lines) _lines.Add("stage: " + name); }
    public void Info(string message) { lock (_lines) _lines.Add(message); }
    public void Detail(string message, int level = VerbosityLevel.Detail) { if (Verbosity >= level) lock (_lines) _lines.Add(message); }
    public void Warning(string message) { lock (_lines) _lines.Add("warning: " + message); }
}
