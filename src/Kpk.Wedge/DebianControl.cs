using System.Text.RegularExpressions;
using Kpk.Core;

namespace Kpk.Wedge;

/// <summary>A binary package of debian/control: its name, Architecture and Build-Profiles.</summary>
public sealed record ControlPackage(string Name, string Architecture, string? BuildProfiles);

/// <summary>
/// The binary packages of debian/control, and which of them a build for the host architecture
/// makes — what dh_listpackages answers, without needing debhelper. (Unlike dh_listpackages it
/// does not insist on a debhelper compatibility level.)
/// </summary>
public sealed class DebianControl
{
    public const string DefaultPath = "debian/control";
    private static readonly Regex FieldLine = new(@"^([^\s:][^:]*):\s*(.*)$", RegexOptions.CultureInvariant);

    private DebianControl(IReadOnlyList<ControlPackage> packages) => Packages = packages;

    public IReadOnlyList<ControlPackage> Packages { get; }

    public static DebianControl Read(WedgeEnvironment env, string path = DefaultPath)
    {
        var lines = PerlText.ReadRequired(env.Resolve(path), path);
        var packages = new List<ControlPackage>();
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        bool first = true; // the first stanza is the source package's
        int stanzaStart = 0;

        void EndStanza(int line)
        {
            if (fields.Count == 0) return;
            if (!first)
            {
                if (!fields.TryGetValue("Package", out var name) || name.Trim().Length == 0)
                    throw new KpkException($"{path}:{stanzaStart}: binary package stanza without a Package field", WedgeExit.BadContent);
                packages.Add(new ControlPackage(name.Trim(), fields.GetValueOrDefault("Architecture", "").Trim(),
                                                fields.GetValueOrDefault("Build-Profiles")));
            }
            first = false;
            fields.Clear();
        }

        string? last = null;
        for (int n = 0; n < lines.Count; n++)
        {
            string line = lines[n].TrimEnd();
            if (line.StartsWith('#')) continue;
            if (line.Length == 0) { EndStanza(n + 1); last = null; continue; }
            if (char.IsWhiteSpace(line[0]))
            {
                if (last == null) throw new KpkException($"{path}:{n + 1}: continuation line outside a field", WedgeExit.BadContent);
                fields[last] += " " + line.Trim();
                continue;
            }
            var m = FieldLine.Match(line);
            if (!m.Success) throw new KpkException($"{path}:{n + 1}: parse error: {line}", WedgeExit.BadContent);
            if (fields.Count == 0) stanzaStart = n + 1;
            last = m.Groups[1].Value;
            fields[last] = m.Groups[2].Value;
        }
        EndStanza(lines.Count);
        return new DebianControl(packages);
    }

    /// <summary>
    /// The packages built for <paramref name="hostArch"/>: those of that architecture (or "any", or a
    /// matching wildcard) and, unless <paramref name="archSpecificOnly"/> (dh_listpackages -s),
    /// "all" ones; a Build-Profiles restriction must hold for the active profiles.
    /// </summary>
    public IReadOnlyList<string> BuiltFor(string hostArch, string? activeProfiles, bool archSpecificOnly)
    {
        var profiles = (activeProfiles ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        var built = new List<string>();
        foreach (var p in Packages)
        {
            if (p.BuildProfiles != null && !BuildProfileFormula.Holds(p.BuildProfiles, profiles)) continue;
            bool include = p.Architecture == "all"
                ? !archSpecificOnly
                : p.Architecture.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Any(a => DebianArchitecture.Matches(hostArch, a));
            if (include && !built.Contains(p.Name)) built.Add(p.Name);
        }
        return built;
    }
}

/// <summary>
/// A Build-Profiles formula, "&lt;a !b&gt; &lt;c&gt;": true when any group has all its terms true
/// (a term "name" needs the profile active, "!name" needs it inactive). Empty is true.
/// </summary>
public static class BuildProfileFormula
{
    private static readonly Regex Group = new(@"<([^>]*)>", RegexOptions.CultureInvariant);

    public static bool Holds(string formula, IReadOnlySet<string> active)
    {
        var groups = Group.Matches(formula);
        if (groups.Count == 0) return true;
        return groups.Any(g => g.Groups[1].Value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .All(term => term.StartsWith('!') ? !active.Contains(term[1..]) : active.Contains(term)));
    }
}
