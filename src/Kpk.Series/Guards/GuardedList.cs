namespace Kpk.Series.Guards;

/// <summary>One file named in a guarded list (series.conf, supported.conf, config.conf) with the guards before it on its line.</summary>
/// <param name="Name">The file name, a byte string (see <see cref="ByteText"/>).</param>
/// <param name="Guards">The <c>+sym</c>, <c>-sym</c>, <c>+!sym</c>, <c>-!sym</c>, <c>+</c>, <c>-</c> tokens before it, in order.</param>
/// <param name="Line">The 1-based line on which the file is written (a continued line spans several).</param>
public sealed record GuardedEntry(string Name, IReadOnlyList<string> Guards, int Line);

/// <summary>
/// Reads the guards file format, with the rules of quilt's guards script:
/// <list type="bullet">
/// <item>a <c>#</c> at the start of a line or after white space comments out the rest of the line, and the white space before it;</item>
/// <item>a line that then ends in a backslash continues on the next line (the backslash becomes a space);
/// a continuation still open at the end of the input is dropped;</item>
/// <item>tokens are separated by white space; a token starting with <c>+</c> or <c>-</c> is a guard and applies to
/// every later file on the same line, any other token is a file.</item>
/// </list>
/// </summary>
public static class GuardedList
{
    public static List<GuardedEntry> Parse(string byteText)
    {
        var entries = new List<GuardedEntry>();
        var logical = new System.Text.StringBuilder();
        // Where each physical line starts in the logical line, so a file is reported on the line it is written on.
        var starts = new List<(int Offset, int Line)>();
        int lineNumber = 0;
        foreach (string physical in ByteText.ChompedLines(byteText))
        {
            lineNumber++;
            starts.Add((logical.Length, lineNumber));
            string line = StripComment(physical);
            if (line.EndsWith('\\'))
            {
                logical.Append(line, 0, line.Length - 1).Append(' ');
                continue;
            }
            logical.Append(line);
            AddTokens(logical.ToString(), starts, entries);
            logical.Clear();
            starts.Clear();
        }
        return entries;
    }

    /// <summary>Drops the comment: from the first <c>#</c> that starts the line or follows white space, with that white space.</summary>
    public static string StripComment(string line)
    {
        for (int i = 0; i < line.Length; i++)
        {
            if (line[i] != '#') continue;
            if (i == 0) return "";
            if (!ByteText.IsSpace(line[i - 1])) continue;
            int start = i - 1;
            while (start > 0 && ByteText.IsSpace(line[start - 1])) start--;
            return line[..start];
        }
        return line;
    }

    /// <summary>
    /// Splits a logical line into guards and files. Linear in the line's length, however many physical
    /// lines it joins: the physical line is found by walking <paramref name="starts"/> forward as the
    /// tokens do, and every file shares one array of the guards before it (each sees its own prefix).
    /// </summary>
    private static void AddTokens(string line, List<(int Offset, int Line)> starts, List<GuardedEntry> entries)
    {
        var guards = new GuardPrefix();
        int physical = 0;
        int i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && ByteText.IsSpace(line[i])) i++;
            int start = i;
            while (i < line.Length && !ByteText.IsSpace(line[i])) i++;
            if (i == start) break;
            string token = line[start..i];
            if (token[0] is '+' or '-') { guards.Add(token); continue; }
            while (physical + 1 < starts.Count && starts[physical + 1].Offset <= start) physical++;
            entries.Add(new GuardedEntry(token, guards.Snapshot(), starts[physical].Line));
        }
    }

    /// <summary>
    /// The guards seen so far on a line. A snapshot is a view of the first N, never copied: elements
    /// once written are never changed, and growing moves on to a new array, leaving old views intact.
    /// </summary>
    private sealed class GuardPrefix
    {
        private string[] _items = [];
        private int _count;

        public void Add(string guard)
        {
            if (_count == _items.Length) Array.Resize(ref _items, Math.Max(4, _count * 2));
            _items[_count++] = guard;
        }

        public IReadOnlyList<string> Snapshot() => _count == 0 ? Array.Empty<string>() : new ArraySegment<string>(_items, 0, _count);
    }
}

/// <summary>
/// Decides whether a guarded file is selected for a set of symbols. Guards are read left to right
/// and the last one that matches decides; when none matches, a file whose first guard excludes
/// (<c>-…</c>) is selected and one whose first guard includes (<c>+…</c>) is not.
/// <c>+sym</c>/<c>-sym</c> match when sym is defined, <c>+!sym</c>/<c>-!sym</c> when it is not,
/// and a bare <c>+</c> or <c>-</c> always matches.
/// </summary>
public static class GuardEvaluator
{
    /// <summary>The decision of the guards, or null when there are none (the caller's default applies).</summary>
    public static bool? Evaluate(IReadOnlyList<string> guards, IReadOnlySet<string> symbols)
    {
        if (guards.Count == 0) return null;
        bool selected = guards[0][0] == '-';
        foreach (string guard in guards) selected = Apply(guard, selected, symbols);
        return selected;
    }

    /// <summary>The files selected by <paramref name="symbols"/>, with unguarded files selected when <paramref name="selectUnguarded"/>.</summary>
    public static IEnumerable<GuardedEntry> Select(IEnumerable<GuardedEntry> entries, IReadOnlySet<string> symbols, bool selectUnguarded = true)
    {
        var decisions = new GuardDecisions(symbols);
        return entries.Where(e => decisions.Evaluate(e.Guards) ?? selectUnguarded);
    }

    internal static bool Apply(string guard, bool selected, IReadOnlySet<string> symbols)
    {
        bool include = guard[0] == '+';
        bool negated = guard.Length > 1 && guard[1] == '!';
        string symbol = guard[(negated ? 2 : 1)..];
        bool matches = negated ? !symbols.Contains(symbol) : symbol.Length == 0 || symbols.Contains(symbol);
        return matches ? include : selected;
    }
}

/// <summary>
/// <see cref="GuardEvaluator.Evaluate"/> over the entries of a list in order, in time linear in the
/// guards of a line rather than in files × guards: the files of one line share the prefix array of
/// their guards (see <see cref="GuardedList"/>), so the decision for one continues from the last.
/// </summary>
public sealed class GuardDecisions(IReadOnlySet<string> symbols)
{
    private string[]? _array;
    private int _count;
    private bool _selected;

    public bool? Evaluate(IReadOnlyList<string> guards)
    {
        if (guards.Count == 0) return null;
        int from = 0;
        bool selected = guards[0][0] == '-';
        var segment = guards as ArraySegment<string>?;
        if (segment is { Offset: 0 } s && s.Array == _array && s.Count >= _count)
        {
            from = _count;
            selected = _selected;
        }
        for (int i = from; i < guards.Count; i++) selected = GuardEvaluator.Apply(guards[i], selected, symbols);
        (_array, _count, _selected) = segment is { Offset: 0 } kept ? (kept.Array, kept.Count, selected) : (null, 0, false);
        return selected;
    }
}
