using Kpk.Core;

namespace Kpk.Series.Apply;

/// <summary>
/// MINIMAL STAND-IN for the guards engine (see <see cref="ISeriesSelector"/>): just enough of the
/// guards(1) language to select patches — <c>#</c> comments at line start or after white space,
/// backslash continuation, several files per line, guards <c>+sym</c>, <c>-sym</c>, <c>+!sym</c>,
/// <c>-!sym</c> and bare <c>+</c>/<c>-</c>, the last matching guard wins, unguarded files are included.
/// The lead replaces it with the full <c>kpk guards</c> engine; keep it small.
/// </summary>
public sealed class MinimalGuardSelector : ISeriesSelector
{
    public IReadOnlyList<SeriesPatch> Select(string seriesPath, IReadOnlyCollection<string> symbols)
    {
        string[] lines;
        try { lines = File.ReadAllLines(seriesPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{seriesPath}: cannot read the series: {e.Message}");
        }
        var defined = new HashSet<string>(symbols, StringComparer.Ordinal);
        var selected = new List<SeriesPatch>();
        // A logical line (physical lines joined by a trailing backslash) is judged when it ends;
        // like guards(1), a continuation still open at the end of the file selects nothing.
        var pending = new List<(string Token, int Line)>();
        for (int i = 0; i < lines.Length; i++)
        {
            string text = StripComment(lines[i]);
            bool continues = text.EndsWith('\\');
            if (continues) text = text[..^1] + " ";
            foreach (string token in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
                pending.Add((token, i + 1));
            if (continues) continue;
            var guards = new List<string>(); // guards apply to the files after them on the logical line
            foreach (var (token, line) in pending)
            {
                if (token[0] is '+' or '-') guards.Add(token);
                else if (IsSelected(guards, defined)) selected.Add(new SeriesPatch(token, seriesPath, line));
            }
            pending.Clear();
        }
        return selected;
    }

    /// <summary>A '#' starts a comment at the start of a line or after white space, not inside a word.</summary>
    private static string StripComment(string line)
    {
        for (int i = 0; i < line.Length; i++)
            if (line[i] == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
                return line[..i].TrimEnd();
        return line.TrimEnd('\r');
    }

    /// <summary>
    /// The first guard sets the default (a leading '-' guard means included unless a guard says
    /// otherwise); then every guard that matches decides in turn, so the last matching one wins.
    /// </summary>
    private static bool IsSelected(List<string> guards, HashSet<string> defined)
    {
        if (guards.Count == 0) return true;
        bool selected = guards[0][0] == '-';
        foreach (string guard in guards)
        {
            bool negated = guard.Length > 1 && guard[1] == '!';
            string symbol = guard[(negated ? 2 : 1)..];
            bool matches = negated ? !defined.Contains(symbol) : symbol.Length == 0 || defined.Contains(symbol);
            if (matches) selected = guard[0] == '+';
        }
        return selected;
    }
}
