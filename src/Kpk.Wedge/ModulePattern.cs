using System.Text;
using System.Text.RegularExpressions;

namespace Kpk.Wedge;

/// <summary>
/// A module list line's pattern: a module name, or a path with wildcards ("?" one character and
/// "*" any within a path component, "**" across components). On Linux "-" and "_" match each
/// other, as the kernel treats them alike in module names.
/// </summary>
public static class ModulePattern
{
    /// <summary>Whether the pattern has a wildcard; a plain name is looked for differently.</summary>
    public static bool IsWild(string pattern) => pattern.AsSpan().IndexOfAny('?', '*') >= 0;

    /// <summary>The pattern as a regular expression fragment (not anchored).</summary>
    public static string ToRegex(string pattern, bool linux)
    {
        var re = new StringBuilder();
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*') { re.Append(".*"); i++; }
            else if (c == '*') re.Append("[^/]*");
            else if (c == '?') re.Append("[^/]");
            else if (linux && c is '-' or '_') re.Append("[-_]");
            else re.Append(Regex.Escape(c.ToString()));
        }
        return re.ToString();
    }
}

/// <summary>What one pattern found: module paths, and whether a plain name is built into the kernel.</summary>
public sealed record PatternMatch(IReadOnlyList<string> Modules, bool Builtin)
{
    public bool Any => Modules.Count > 0 || Builtin;
}

/// <summary>Finds the modules of a tree a pattern names.</summary>
public sealed class ModuleFinder(ModuleTree tree, bool linux)
{
    private const string ModuleSuffix = @"\.ko(?:\.(?:xz|zstd))?$";
    private static readonly Regex LeadingDirectory = new(@"^([^?*]*)/(.*)", RegexOptions.CultureInvariant);
    private readonly Dictionary<string, Regex> _cache = new(StringComparer.Ordinal);
    private Dictionary<string, List<string>>? _byName;

    /// <summary>
    /// A wildcard pattern gives every match; its fixed leading directories must exist (perhaps
    /// under kernel/), else it is an error unless optional (<see cref="MissingDirectoryException"/>).
    /// A plain name gives one module: the first under kernel/, else one built in, else the first anywhere.
    /// </summary>
    public PatternMatch Find(string pattern, bool optional)
    {
        if (ModulePattern.IsWild(pattern))
        {
            string re;
            var lead = LeadingDirectory.Match(pattern);
            if (lead.Success)
            {
                string subdir = lead.Groups[1].Value;
                if (!Directory.Exists(tree.Root + "/" + subdir))
                {
                    if (Directory.Exists(tree.Root + "/kernel/" + subdir)) subdir = "kernel/" + subdir;
                    else if (optional) return new PatternMatch([], false);
                    else throw new MissingDirectoryException(pattern);
                }
                re = Regex.Escape(subdir) + "/" + ModulePattern.ToRegex(lead.Groups[2].Value, linux);
            }
            else
            {
                re = ModulePattern.ToRegex(pattern, linux);
            }
            var regex = Compile("^" + re + ModuleSuffix);
            return new PatternMatch(tree.Files.Where(f => regex.IsMatch(f)).ToList(), false);
        }

        string name = ModulePattern.ToRegex(pattern, linux);
        // Only files with the pattern's last component as their name can match: a real tree has
        // thousands of modules and a list hundreds of names, so the regexes only see those.
        var sameName = FilesNamed(pattern[(pattern.LastIndexOf('/') + 1)..]);
        foreach (var candidate in new[] { "^kernel/(?:.*/)?" + name + ModuleSuffix, "(?:^|/)" + name + ModuleSuffix })
        {
            var regex = Compile(candidate);
            foreach (var file in sameName)
                if (regex.IsMatch(file)) return new PatternMatch([file], false);
            if (tree.Builtin.Any(b => regex.IsMatch(b))) return new PatternMatch([], true);
        }
        return new PatternMatch([], false);
    }

    /// <summary>The tree's files whose name, less the module suffix, is <paramref name="name"/> ("-" and "_" alike on Linux), in tree order.</summary>
    private IReadOnlyList<string> FilesNamed(string name)
    {
        if (_byName == null)
        {
            _byName = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var file in tree.Files)
            {
                string key = NameKey(ModuleTree.ModuleFileName.Replace(file[(file.LastIndexOf('/') + 1)..], ""));
                if (!_byName.TryGetValue(key, out var list)) _byName[key] = list = new List<string>();
                list.Add(file);
            }
        }
        return _byName.TryGetValue(NameKey(name), out var found) ? found : [];
    }

    private string NameKey(string name) => linux ? name.Replace('_', '-') : name;

    private Regex Compile(string pattern)
    {
        if (!_cache.TryGetValue(pattern, out var regex))
            _cache[pattern] = regex = new Regex(pattern, RegexOptions.CultureInvariant);
        return regex;
    }
}

/// <summary>A required wildcard pattern whose leading directory is not in the module tree.</summary>
public sealed class MissingDirectoryException(string pattern)
    : Exception($"pattern {pattern} refers to nonexistent subdirectory")
{
    public string Pattern { get; } = pattern;
}
