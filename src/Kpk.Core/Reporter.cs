namespace Kpk.Core;

/// <summary>
/// Where long-running work reports what it is doing. Layers below the CLI never write to the
/// console directly; they are handed a reporter, so tests can capture it and the CLI decides
/// how to show it (plain lines when not a terminal).
/// </summary>
public interface IReporter
{
    /// <summary>How chatty the user asked us to be: 0 normal, 1 for -v, 2 for -vv.</summary>
    int Verbosity { get; }
    /// <summary>A new stage of the work begins (e.g. "building original kernel").</summary>
    void Stage(string name);
    /// <summary>An ordinary progress line.</summary>
    void Info(string message);
    /// <summary>Only shown with -v (level 1) or -vv (level 2).</summary>
    void Detail(string message, int level = 1);
    void Warning(string message);
}

/// <summary>Writes progress to a text writer (stderr in the CLI) as plain lines.</summary>
public sealed class TextReporter(TextWriter output, int verbosity = 0) : IReporter
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly object _lock = new();

    public int Verbosity { get; } = verbosity;

    public void Stage(string name) => Write($"[{_clock.Elapsed:mm\\:ss}] {name}");
    public void Info(string message) => Write(message);
    public void Detail(string message, int level = 1)
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
    public void Detail(string message, int level = 1) { }
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
    public void Detail(string message, int level = 1) { if (Verbosity >= level) lock (_lines) _lines.Add(message); }
    public void Warning(string message) { lock (_lines) _lines.Add("warning: " + message); }
}
