using System.Text;
using Kpk.Core;

namespace Kpk.Wedge;

/// <summary>
/// Text handling the way kernel-wedge's perl and shell see it, so outputs match byte for byte:
/// lines split on "\n" only (a "\r" stays part of the line), whitespace is perl's ASCII \s, and
/// sorting is by bytes (the C locale), not by culture.
/// </summary>
public static class PerlText
{
    /// <summary>The lines of a file as <c>while (&lt;FH&gt;) { chomp; ... }</c> sees them.</summary>
    public static IReadOnlyList<string> ReadLines(string path)
    {
        string text = File.ReadAllText(path, Encoding.UTF8);
        return SplitLines(text);
    }

    /// <summary>Splits on "\n"; a final newline does not start another line.</summary>
    public static List<string> SplitLines(string text)
    {
        var lines = new List<string>(text.Split('\n'));
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return lines;
    }

    /// <summary>
    /// Reads <paramref name="path"/> for a command that cannot go on without it, failing as
    /// "&lt;what&gt;: No such file or directory" with the exit code the reference's die gives.
    /// </summary>
    public static IReadOnlyList<string> ReadRequired(string path, string shownAs)
    {
        try
        {
            return ReadLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{shownAs}: {WedgeExit.Reason(e)}", WedgeExit.For(e));
        }
    }

    /// <summary>perl's \s for byte strings: space, \t, \n, \v, \f, \r.</summary>
    public static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    /// <summary>
    /// perl's <c>split(' ', $line, $limit)</c>: leading whitespace ignored, fields separated by
    /// whitespace runs, at most <paramref name="limit"/> fields with the last one keeping the rest of
    /// the line as is; an empty field after trailing whitespace is kept.
    /// </summary>
    public static List<string> SplitFields(string line, int limit)
    {
        var fields = new List<string>();
        int i = 0;
        while (i < line.Length && IsSpace(line[i])) i++;
        if (i == line.Length) return fields;
        while (true)
        {
            if (fields.Count == limit - 1)
            {
                fields.Add(line[i..]);
                return fields;
            }
            int start = i;
            while (i < line.Length && !IsSpace(line[i])) i++;
            fields.Add(line[start..i]);
            if (i == line.Length) return fields;
            while (i < line.Length && IsSpace(line[i])) i++;
        }
    }

    /// <summary>perl's <c>split(' ', $line)</c> without a limit: the words, no empty ones.</summary>
    public static List<string> Words(string line)
    {
        var words = new List<string>();
        int i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && IsSpace(line[i])) i++;
            int start = i;
            while (i < line.Length && !IsSpace(line[i])) i++;
            if (i > start) words.Add(line[start..i]);
        }
        return words;
    }

    /// <summary>perl's <c>split(", ", $value)</c>: trailing empty pieces dropped, leading ones kept.</summary>
    public static List<string> SplitCommaList(string? value)
    {
        if (string.IsNullOrEmpty(value)) return new List<string>();
        var parts = new List<string>(value.Split(", "));
        while (parts.Count > 0 && parts[^1].Length == 0) parts.RemoveAt(parts.Count - 1);
        return parts;
    }

    /// <summary>Strips perl whitespace at both ends (<c>s/^\s*//; s/\s*$//</c>).</summary>
    public static string Trim(string s)
    {
        int a = 0, b = s.Length;
        while (a < b && IsSpace(s[a])) a++;
        while (b > a && IsSpace(s[b - 1])) b--;
        return s[a..b];
    }
}

/// <summary>
/// Orders strings by their UTF-8 bytes, as perl's sort and sort(1) in the C locale do. UTF-16
/// ordinal order differs only for characters beyond the BMP, so code points are compared.
/// </summary>
public sealed class ByteOrder : IComparer<string>
{
    public static readonly ByteOrder Instance = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x == null) return -1;
        if (y == null) return 1;
        var ex = x.EnumerateRunes();
        var ey = y.EnumerateRunes();
        while (true)
        {
            bool hx = ex.MoveNext(), hy = ey.MoveNext();
            if (!hx || !hy) return hx == hy ? 0 : hx ? 1 : -1;
            int c = ex.Current.Value.CompareTo(ey.Current.Value);
            if (c != 0) return c;
        }
    }
}
