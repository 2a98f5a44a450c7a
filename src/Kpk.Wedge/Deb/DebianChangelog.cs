using System.Globalization;
using System.Text.RegularExpressions;
using Kpk.Core;

namespace Kpk.Wedge.Deb;

/// <summary>
/// The newest entry of debian/changelog: source package name and version from its first line,
/// and the time from its trailer line (" -- Name &lt;mail&gt;  Mon, 05 Feb 2024 12:00:00 +0000"),
/// which debhelper uses as SOURCE_DATE_EPOCH when none is set.
/// </summary>
public sealed partial record DebianChangelog(string Source, DebianVersion Version, long? Timestamp)
{
    [GeneratedRegex(@"^(\w[-+0-9a-z.]*) \(([^\(\) \t]+)\)((?:\s+[-+0-9a-z.]+)+);(.*)$", RegexOptions.IgnoreCase)]
    private static partial Regex HeaderLine();

    [GeneratedRegex(@"^ \-\- (.*) <(.*)>(  ?)(.*)$")]
    private static partial Regex TrailerLine();

    public static DebianChangelog Load(string path)
    {
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{path}: cannot read: {IoError.Reason(e)}");
        }
        return Parse(lines, path);
    }

    public static DebianChangelog Parse(IReadOnlyList<string> lines, string path)
    {
        int first = 0;
        while (first < lines.Count && (lines[first].Trim().Length == 0 || lines[first].StartsWith('#'))) first++;
        if (first == lines.Count) throw new KpkException($"{path}: no changelog entry");
        var header = HeaderLine().Match(lines[first]);
        if (!header.Success)
            throw new KpkException($"{path}:{first + 1}: badly formatted heading line (expected 'source (version) distribution; urgency=...')");
        if (!DebianVersion.TryParse(header.Groups[2].Value, out var version, out var error))
            throw new KpkException($"{path}:{first + 1}: version '{header.Groups[2].Value}' is not valid: {error}");
        long? timestamp = null;
        for (int i = first + 1; i < lines.Count; i++)
        {
            if (HeaderLine().IsMatch(lines[i])) break;
            var trailer = TrailerLine().Match(lines[i]);
            if (!trailer.Success) continue;
            timestamp = ParseDate(trailer.Groups[4].Value)
                ?? throw new KpkException($"{path}:{i + 1}: cannot parse the date '{trailer.Groups[4].Value}'");
            break;
        }
        return new DebianChangelog(header.Groups[1].Value, version!, timestamp);
    }

    /// <summary>RFC 5322 dates as in changelogs: "Mon, 05 Feb 2024 12:00:00 +0000", perhaps with a "(CET)" comment.</summary>
    public static long? ParseDate(string text)
    {
        string s = Regex.Replace(text.Trim(), @"\s*\([^)]*\)\s*$", "");
        var m = Regex.Match(s, @"^(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{2}):(\d{2}):(\d{2})\s+([+-])(\d{2})(\d{2})$");
        if (!m.Success) return null;
        int month = Array.IndexOf(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], m.Groups[2].Value.ToLowerInvariant()) + 1;
        if (month == 0) return null;
        try
        {
            var offset = TimeSpan.FromHours(int.Parse(m.Groups[8].Value, CultureInfo.InvariantCulture))
                         + TimeSpan.FromMinutes(int.Parse(m.Groups[9].Value, CultureInfo.InvariantCulture));
            if (m.Groups[7].Value == "-") offset = -offset;
            var t = new DateTimeOffset(int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), month,
                int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups[5].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[6].Value, CultureInfo.InvariantCulture), offset);
            return t.ToUnixTimeSeconds();
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
