using Kpk.Core;

namespace Kpk.Fuzz;

/// <summary>How kpk handled one damaged input. The first three are handled; the rest are defects.</summary>
public enum Outcome
{
    /// <summary>Read, written or reported with exit 0.</summary>
    Accepted,
    /// <summary>diff-object's documented answers for a pair it read: 3 (no change) or 2 (cannot be live patched).</summary>
    Answered,
    /// <summary>A KpkException naming the input, with a documented exit code, and nothing written.</summary>
    Refused,
    Crashed,
    ErrorNotNamingTheFile,
    HalfWritten,
    ReadOrLoadedFromOutside,
}

public sealed record Finding(string Target, Outcome Outcome, string Input, string Mutation, string Detail);

/// <summary>Counts per target and outcome; keeps the first findings of each defect for the report.</summary>
public sealed class Tally
{
    private readonly Dictionary<(string Target, Outcome Outcome), int> _counts = new();
    private readonly List<Finding> _defects = new();

    public int Tried { get; private set; }
    public IReadOnlyList<Finding> Defects => _defects;
    public int Handled => _counts.Where(kv => kv.Key.Outcome <= Outcome.Refused).Sum(kv => kv.Value);

    public void Add(Finding f)
    {
        Tried++;
        _counts[(f.Target, f.Outcome)] = _counts.GetValueOrDefault((f.Target, f.Outcome)) + 1;
        if (f.Outcome > Outcome.Refused && _defects.Count < 50) _defects.Add(f);
    }

    public void Merge(Tally other)
    {
        Tried += other.Tried;
        foreach (var (key, n) in other._counts) _counts[key] = _counts.GetValueOrDefault(key) + n;
        foreach (var d in other._defects) if (_defects.Count < 50) _defects.Add(d);
    }

    public int Count(string target, Outcome outcome) => _counts.GetValueOrDefault((target, outcome));

    public void Write(TextWriter w)
    {
        w.WriteLine($"{Tried} inputs tried, {Handled} handled, {Tried - Handled} not");
        foreach (var target in _counts.Keys.Select(k => k.Target).Distinct().Order(StringComparer.Ordinal))
        {
            var parts = Enum.GetValues<Outcome>().Where(o => Count(target, o) > 0).Select(o => $"{o} {Count(target, o)}");
            w.WriteLine($"  {target}: {string.Join(", ", parts)}");
        }
        foreach (var d in _defects.Take(20))
            w.WriteLine($"  DEFECT {d.Target} {d.Outcome}: {d.Input} ({d.Mutation}): {d.Detail}");
    }
}

/// <summary>Runs one verb on one input and judges what happened.</summary>
public static class Judge
{
    /// <param name="named">What a refusal must name (the damaged file).</param>
    /// <param name="outputDir">Where the verb may write; after a refusal it must hold nothing new.</param>
    public static (Outcome, string) Run(string named, string? outputDir, Func<Outcome> verb)
    {
        var before = outputDir == null ? [] : Directory.GetFileSystemEntries(outputDir).ToHashSet();
        Outcome outcome;
        string detail = "";
        try { outcome = verb(); }
        catch (KpkException e)
        {
            bool documented = e.ExitCode is ExitCodes.Error or ExitCodes.Unsupported or ExitCodes.NoChange;
            outcome = e.Message.Contains(named, StringComparison.Ordinal) && documented ? Outcome.Refused : Outcome.ErrorNotNamingTheFile;
            detail = $"exit {e.ExitCode}: {e.Message}";
        }
        catch (Exception e)
        {
            outcome = Outcome.Crashed;
            detail = $"{e.GetType().Name}: {e.Message} {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}";
        }
        if (outputDir != null && outcome is Outcome.Refused or Outcome.Answered)
        {
            var added = Directory.GetFileSystemEntries(outputDir).Where(p => !before.Contains(p)).ToList();
            if (added.Count > 0) { outcome = Outcome.HalfWritten; detail = "left " + string.Join(", ", added.Select(Path.GetFileName)) + "; " + detail; }
        }
        return (outcome, detail);
    }
}
