namespace Kpk.Series.Apply;

/// <summary>One patch a series file selects: its name as written there, and the file and line it came from.</summary>
public sealed record SeriesPatch(string Name, string SourceFile, int Line)
{
    /// <summary><c>series.conf:123</c>, for messages.</summary>
    public string Location => $"{SourceFile}:{Line}";
}

/// <summary>
/// Chooses the patches of a guarded series file (series.conf) for a set of symbols, in order.
/// </summary>
public interface ISeriesSelector
{
    /// <summary>The selected patches in series order. Throws <see cref="Core.KpkException"/> when the file cannot be read.</summary>
    IReadOnlyList<SeriesPatch> Select(string seriesPath, IReadOnlyCollection<string> symbols);
}
