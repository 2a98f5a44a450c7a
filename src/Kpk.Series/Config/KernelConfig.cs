using System.Text.RegularExpressions;
using Kpk.Core;

namespace Kpk.Series.Config;

/// <summary>One line of a kernel .config: a setting, a comment or blank line, or something that is not config.</summary>
/// <remarks>Symbol is without the CONFIG_ prefix; Value is "n" for "is not set", as kconfig and diffconfig read it.</remarks>
public sealed record ConfigLine(int Number, string Text, string? Symbol, string? Value)
{
    /// <summary><c>CONFIG_X=...</c> or <c># CONFIG_X is not set</c>.</summary>
    public bool IsSetting => Symbol != null;
}

/// <summary>A problem with a config line; never fatal by itself.</summary>
public sealed record ConfigWarning(string File, int Line, string Message)
{
    public override string ToString() => $"{File}:{Line}: {Message}";
}

/// <summary>
/// A kernel .config as kconfig writes it: <c>CONFIG_NAME=VALUE</c> and
/// <c># CONFIG_NAME is not set</c> lines, other comments and blank lines. Anything else is kept
/// as a line that is not config, with a warning naming file and line; so is a setting given twice
/// in the same file (kconfig itself takes the later one).
/// </summary>
public sealed partial class KernelConfig
{
    public string Name { get; }
    public IReadOnlyList<ConfigLine> Lines { get; }
    public IReadOnlyList<ConfigWarning> Warnings { get; }

    private KernelConfig(string name, IReadOnlyList<ConfigLine> lines, IReadOnlyList<ConfigWarning> warnings) =>
        (Name, Lines, Warnings) = (name, lines, warnings);

    [GeneratedRegex(@"^CONFIG_([A-Za-z0-9_]+)=(.*)$")]
    private static partial Regex SetLine();

    // kconfig reads "# CONFIG_X is not set" up to "is not set" and ignores what follows; so do we.
    [GeneratedRegex(@"^# CONFIG_([A-Za-z0-9_]+) is not set")]
    private static partial Regex UnsetLine();

    public static KernelConfig Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{path}: cannot read: {e.Message}");
        }
        return Parse(path, text);
    }

    public static KernelConfig Parse(string name, string text)
    {
        var lines = new List<ConfigLine>();
        var warnings = new List<ConfigWarning>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        string[] raw = text.Split('\n');
        int count = raw.Length - (text.EndsWith('\n') ? 1 : 0);
        for (int i = 0; i < count; i++)
        {
            string line = raw[i].TrimEnd('\r');
            int number = i + 1;
            ConfigLine parsed;
            if (SetLine().Match(line) is { Success: true } set)
                parsed = new ConfigLine(number, line, set.Groups[1].Value, set.Groups[2].Value);
            else if (UnsetLine().Match(line) is { Success: true } unset)
                parsed = new ConfigLine(number, line, unset.Groups[1].Value, "n");
            else
            {
                string trimmed = line.TrimStart();
                if (trimmed.Length > 0 && trimmed[0] != '#')
                    warnings.Add(new ConfigWarning(name, number, $"not a config line: {Shorten(line)}"));
                lines.Add(new ConfigLine(number, line, null, null));
                continue;
            }
            if (seen.TryGetValue(parsed.Symbol!, out int earlier))
                warnings.Add(new ConfigWarning(name, number, $"CONFIG_{parsed.Symbol} is set again (first at line {earlier}); the later value wins"));
            else
                seen[parsed.Symbol!] = number;
            lines.Add(parsed);
        }
        return new KernelConfig(name, lines, warnings);
    }

    /// <summary>Each symbol's value; a symbol given twice has its later value.</summary>
    public IReadOnlyDictionary<string, string> Values()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in Lines)
            if (line.IsSetting) values[line.Symbol!] = line.Value!;
        return values;
    }

    /// <summary>A line that is neither a setting, a comment nor blank (it got a warning).</summary>
    public static bool IsForeign(ConfigLine line)
    {
        if (line.IsSetting) return false;
        string trimmed = line.Text.TrimStart();
        return trimmed.Length > 0 && trimmed[0] != '#';
    }

    private static string Shorten(string line) => line.Length <= 80 ? line : line[..77] + "...";
}
