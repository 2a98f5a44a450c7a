namespace Kpk.Wedge.Deb;

/// <summary>
/// A Debian package version, <c>[epoch:]upstream[-revision]</c>, ordered the way dpkg orders
/// versions: epochs numerically, then upstream and revision by alternating non-digit runs (where
/// '~' sorts before everything, even the end of the string, and letters before other characters)
/// and digit runs compared as numbers.
/// </summary>
public sealed class DebianVersion : IComparable<DebianVersion>, IEquatable<DebianVersion>
{
    public long Epoch { get; }
    public string Upstream { get; }
    public string Revision { get; }
    /// <summary>The version as written, which is how it appears in control fields.</summary>
    public string Text { get; }

    private DebianVersion(string text, long epoch, string upstream, string revision)
    {
        Text = text;
        Epoch = epoch;
        Upstream = upstream;
        Revision = revision;
    }

    /// <summary>The version without its epoch: what goes into a .deb file name.</summary>
    public string WithoutEpoch => Text.Contains(':') ? Text[(Text.IndexOf(':') + 1)..] : Text;

    /// <summary>The upstream part with the epoch, as dpkg's <c>source:Upstream-Version</c>.</summary>
    public string UpstreamWithEpoch => (Text.Contains(':') ? Epoch + ":" : "") + Upstream;

    public static bool TryParse(string text, out DebianVersion? version, out string? error)
    {
        version = null;
        error = null;
        string s = text.Trim();
        if (s.Length == 0) { error = "version string is empty"; return false; }
        if (s.Any(char.IsWhiteSpace)) { error = "version string has embedded spaces"; return false; }
        long epoch = 0;
        string rest = s;
        int colon = s.IndexOf(':');
        if (colon >= 0)
        {
            string e = s[..colon];
            if (e.Length == 0 || !e.All(char.IsAsciiDigit) || !long.TryParse(e, out epoch))
            {
                error = "epoch in version is not a number";
                return false;
            }
            rest = s[(colon + 1)..];
        }
        string upstream = rest, revision = "";
        int dash = rest.LastIndexOf('-');
        if (dash >= 0)
        {
            upstream = rest[..dash];
            revision = rest[(dash + 1)..];
            if (revision.Length == 0) { error = "revision number is empty"; return false; }
        }
        if (upstream.Length == 0) { error = "version number is empty"; return false; }
        if (!char.IsAsciiDigit(upstream[0])) { error = "version number does not start with digit"; return false; }
        if (upstream.Any(c => !(char.IsAsciiLetterOrDigit(c) || ".-+~:".Contains(c)))) { error = "invalid character in version number"; return false; }
        if (revision.Any(c => !(char.IsAsciiLetterOrDigit(c) || ".+~".Contains(c)))) { error = "invalid character in revision number"; return false; }
        version = new DebianVersion(s, epoch, upstream, revision);
        return true;
    }

    public static DebianVersion Parse(string text) =>
        TryParse(text, out var v, out var error) ? v! : throw new FormatException($"version '{text}': {error}");

    public int CompareTo(DebianVersion? other)
    {
        if (other is null) return 1;
        int c = Epoch.CompareTo(other.Epoch);
        if (c != 0) return c;
        c = ComparePart(Upstream, other.Upstream);
        return c != 0 ? c : ComparePart(Revision, other.Revision);
    }

    public bool Equals(DebianVersion? other) => other is not null && CompareTo(other) == 0;
    public override bool Equals(object? obj) => obj is DebianVersion v && Equals(v);
    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);
    public override string ToString() => Text;

    public static bool operator <(DebianVersion a, DebianVersion b) => a.CompareTo(b) < 0;
    public static bool operator >(DebianVersion a, DebianVersion b) => a.CompareTo(b) > 0;
    public static bool operator <=(DebianVersion a, DebianVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >=(DebianVersion a, DebianVersion b) => a.CompareTo(b) >= 0;

    private static int Order(char c) =>
        char.IsAsciiDigit(c) ? 0 : char.IsAsciiLetter(c) ? c : c == '~' ? -1 : c + 256;

    private static int ComparePart(string a, string b)
    {
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            int firstDiff = 0;
            while ((i < a.Length && !char.IsAsciiDigit(a[i])) || (j < b.Length && !char.IsAsciiDigit(b[j])))
            {
                int ac = i < a.Length ? Order(a[i]) : 0;
                int bc = j < b.Length ? Order(b[j]) : 0;
                if (ac != bc) return ac - bc;
                i++;
                j++;
            }
            while (i < a.Length && a[i] == '0') i++;
            while (j < b.Length && b[j] == '0') j++;
            while (i < a.Length && char.IsAsciiDigit(a[i]) && j < b.Length && char.IsAsciiDigit(b[j]))
            {
                if (firstDiff == 0) firstDiff = a[i] - b[j];
                i++;
                j++;
            }
            if (i < a.Length && char.IsAsciiDigit(a[i])) return 1;
            if (j < b.Length && char.IsAsciiDigit(b[j])) return -1;
            if (firstDiff != 0) return firstDiff;
        }
        return 0;
    }
}
