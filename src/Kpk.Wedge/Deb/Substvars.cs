using System.Text.RegularExpressions;
using Kpk.Core;

namespace Kpk.Wedge.Deb;

/// <summary>
/// Substitution variables, <c>${name}</c> in control fields, as dpkg-gencontrol expands them:
/// the built-in version and architecture variables, <c>S:Field</c> for each source field, and
/// those from debian/PACKAGE.substvars (<c>name=value</c> or <c>name?=value</c> lines).
/// An undefined variable expands to nothing, with a warning.
/// </summary>
public sealed partial class Substvars
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly List<string> _warnings = new();

    [GeneratedRegex(@"\$\{([:\-0-9A-Za-z]+)\}")]
    private static partial Regex Reference();

    public IReadOnlyList<string> Warnings => _warnings;

    public Substvars()
    {
        _values["Newline"] = "\n";
        _values["Space"] = " ";
        _values["Tab"] = "\t";
    }

    public string? this[string name]
    {
        get => _values.TryGetValue(name, out var v) ? v : null;
        set { if (value == null) _values.Remove(name); else _values[name] = value; }
    }

    public void SetVersions(DebianVersion source, DebianVersion binary)
    {
        _values["binary:Version"] = binary.Text;
        _values["source:Version"] = source.Text;
        _values["source:Upstream-Version"] = source.UpstreamWithEpoch;
    }

    public void LoadFile(string path)
    {
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{path}: cannot read: {IoError.Reason(e)}");
        }
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.Trim().Length == 0 || line.StartsWith('#')) continue;
            var m = Regex.Match(line, @"^(\w[-:0-9A-Za-z]*)\??=(.*)$");
            if (!m.Success) throw new KpkException($"{path}:{i + 1}: bad line in substvars file");
            _values[m.Groups[1].Value] = m.Groups[2].Value;
        }
    }

    /// <summary>Expands every ${name} (values may themselves hold references, up to a depth limit).</summary>
    public string Expand(string text, string where)
    {
        for (int depth = 0; depth < 50; depth++)
        {
            bool changed = false;
            text = Reference().Replace(text, m =>
            {
                changed = true;
                if (_values.TryGetValue(m.Groups[1].Value, out var v)) return v;
                string warning = $"{where}: substitution variable ${{{m.Groups[1].Value}}} used, but is not defined";
                if (!_warnings.Contains(warning)) _warnings.Add(warning);
                return "";
            });
            if (!changed) return text;
        }
        throw new KpkException($"{where}: too many substitutions (recursive variables?)");
    }
}
