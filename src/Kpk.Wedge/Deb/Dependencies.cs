using System.Text.RegularExpressions;

namespace Kpk.Wedge.Deb;

public enum VersionRelation { None, GreaterEqual, Greater, Equal, Less, LessEqual }

/// <summary>One package in a relationship field: <c>name[:archqual] [(op version)] [[arches]] [&lt;profiles&gt;]</c>.</summary>
public sealed partial record DependencyTerm(string Package, string? ArchQualifier, VersionRelation Relation, string? Version,
    IReadOnlyList<string>? Arches, IReadOnlyList<IReadOnlyList<string>>? Restrictions)
{
    [GeneratedRegex(@"^\s*([a-zA-Z0-9][a-zA-Z0-9+.-]*)(?::([a-zA-Z0-9][a-zA-Z0-9-]*))?(?:\s*\(\s*(<<|<=|=|>=|>>|[<>])\s*([^\)\s]+)\s*\))?(?:\s*\[\s*([^\]]+)\s*\])?((?:\s*<\s*[^>]+\s*>)+)?\s*$")]
    private static partial Regex Syntax();

    public static DependencyTerm? TryParse(string text)
    {
        var m = Syntax().Match(text);
        if (!m.Success) return null;
        if (m.Groups[2].Success && m.Groups[2].Value == "native") return null; // only build-dependencies may say :native
        var relation = !m.Groups[3].Success ? VersionRelation.None : m.Groups[3].Value switch
        {
            ">=" or ">" => VersionRelation.GreaterEqual, // dpkg reads the deprecated '>' and '<' as '>=' and '<='
            ">>" => VersionRelation.Greater,
            "=" => VersionRelation.Equal,
            "<<" => VersionRelation.Less,
            _ => VersionRelation.LessEqual,
        };
        var arches = m.Groups[5].Success ? m.Groups[5].Value.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries) : null;
        List<IReadOnlyList<string>>? restrictions = null;
        if (m.Groups[6].Success)
        {
            restrictions = Regex.Matches(m.Groups[6].Value, @"<\s*([^>]+?)\s*>")
                .Select(g => (IReadOnlyList<string>)g.Groups[1].Value.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(t => t.ToLowerInvariant()).ToArray())
                .ToList();
        }
        return new DependencyTerm(m.Groups[1].Value, m.Groups[2].Success ? m.Groups[2].Value : null, relation,
            m.Groups[4].Success ? m.Groups[4].Value : null, arches, restrictions);
    }

    public override string ToString()
    {
        var s = Package;
        if (ArchQualifier != null) s += ":" + ArchQualifier;
        if (Relation != VersionRelation.None) s += $" ({RelationText(Relation)} {Version})";
        if (Arches != null) s += " [" + string.Join(' ', Arches) + "]";
        if (Restrictions != null) foreach (var r in Restrictions) s += " <" + string.Join(' ', r) + ">";
        return s;
    }

    public static string RelationText(VersionRelation r) => r switch
    {
        VersionRelation.GreaterEqual => ">=",
        VersionRelation.Greater => ">>",
        VersionRelation.Equal => "=",
        VersionRelation.Less => "<<",
        VersionRelation.LessEqual => "<=",
        _ => "",
    };

    /// <summary>
    /// Whether this term being satisfied guarantees <paramref name="other"/> is: true, false (it
    /// rules it out), or null (cannot tell). Only arch- and profile-reduced terms are compared.
    /// </summary>
    public bool? Implies(DependencyTerm other)
    {
        if (Package != other.Package) return null;
        if (Arches != null || other.Arches != null || Restrictions != null || other.Restrictions != null)
        {
            if (!SameLists(Arches, other.Arches) || !SameRestrictions(Restrictions, other.Restrictions)) return null;
        }
        if (ArchQualifier != other.ArchQualifier) return null;
        if (other.Relation == VersionRelation.None) return true;
        if (Relation == VersionRelation.None) return null;
        return RelationImplies(Relation, Version!, other.Relation, other.Version!);
    }

    private static bool SameLists(IReadOnlyList<string>? a, IReadOnlyList<string>? b) =>
        a == null ? b == null : b != null && a.SequenceEqual(b);

    private static bool SameRestrictions(IReadOnlyList<IReadOnlyList<string>>? a, IReadOnlyList<IReadOnlyList<string>>? b) =>
        a == null ? b == null : b != null && a.Count == b.Count && a.Zip(b).All(p => p.First.SequenceEqual(p.Second));

    /// <summary>Does "p-relation p-version" imply "q-relation q-version"? Same three answers as <see cref="Implies"/>.</summary>
    public static bool? RelationImplies(VersionRelation p, string pVersion, VersionRelation q, string qVersion)
    {
        if (!DebianVersion.TryParse(pVersion, out var vp, out _) || !DebianVersion.TryParse(qVersion, out var vq, out _)) return null;
        int c = vp!.CompareTo(vq);
        switch (q)
        {
            case VersionRelation.Equal:
                return p switch
                {
                    VersionRelation.Less => c <= 0 ? false : null,
                    VersionRelation.LessEqual => c < 0 ? false : null,
                    VersionRelation.Greater => c >= 0 ? false : null,
                    VersionRelation.GreaterEqual => c > 0 ? false : null,
                    _ => c == 0,
                };
            case VersionRelation.LessEqual:
                return p switch
                {
                    VersionRelation.Greater => c >= 0 ? false : null,
                    VersionRelation.GreaterEqual => c > 0 ? false : null,
                    VersionRelation.Equal => c <= 0,
                    _ => c <= 0 ? true : null,
                };
            case VersionRelation.Less:
                return p switch
                {
                    // dpkg compares p's version with itself here, so this "disproof" always applies.
                    VersionRelation.Greater or VersionRelation.GreaterEqual => false,
                    VersionRelation.Less => c <= 0 ? true : null,
                    VersionRelation.Equal => c < 0,
                    _ => c < 0 ? true : null,
                };
            case VersionRelation.GreaterEqual:
                return p switch
                {
                    VersionRelation.Less => c <= 0 ? false : null,
                    VersionRelation.LessEqual => c < 0 ? false : null,
                    VersionRelation.Equal => c >= 0,
                    _ => c >= 0 ? true : null,
                };
            case VersionRelation.Greater:
                return p switch
                {
                    VersionRelation.Less or VersionRelation.LessEqual => c <= 0 ? false : null,
                    VersionRelation.Greater => c >= 0 ? true : null,
                    VersionRelation.Equal => c > 0,
                    _ => c > 0 ? true : null,
                };
        }
        return null;
    }

    public static bool Satisfies(DebianVersion have, VersionRelation relation, DebianVersion want)
    {
        int c = have.CompareTo(want);
        return relation switch
        {
            VersionRelation.Less => c < 0,
            VersionRelation.LessEqual => c <= 0,
            VersionRelation.Equal => c == 0,
            VersionRelation.GreaterEqual => c >= 0,
            VersionRelation.Greater => c > 0,
            _ => true,
        };
    }
}

/// <summary>The package being built and what it provides: dependencies these satisfy are dropped.</summary>
public sealed class KnownFacts
{
    private readonly string _package;
    private readonly DebianVersion _version;
    private readonly List<DependencyTerm> _provides = new();

    public KnownFacts(string package, DebianVersion version)
    {
        _package = package;
        _version = version;
    }

    public void AddProvided(DependencyTerm term) => _provides.Add(term);

    /// <summary>True when satisfied by the facts; false when they say nothing that satisfies it.</summary>
    public bool Satisfies(DependencyTerm dep)
    {
        if (dep.Package == _package && dep.ArchQualifier == null)
        {
            if (dep.Relation == VersionRelation.None) return true;
            if (DebianVersion.TryParse(dep.Version!, out var want, out _) && DependencyTerm.Satisfies(_version, dep.Relation, want!)) return true;
        }
        foreach (var p in _provides.Where(p => p.Package == dep.Package))
        {
            if (p.Relation != VersionRelation.None && p.Relation != VersionRelation.Equal) continue;
            if (dep.Relation == VersionRelation.None) return true;
            if (p.Version == null) continue;
            if (DebianVersion.TryParse(p.Version, out var have, out _) && DebianVersion.TryParse(dep.Version!, out var want, out _)
                && DependencyTerm.Satisfies(have!, dep.Relation, want!)) return true;
        }
        return false;
    }
}

/// <summary>
/// A relationship field (Depends, Provides, ...) parsed, reduced for the host architecture and
/// build profiles, and simplified the way dpkg-gencontrol does before writing a binary package's
/// control file: each item is a list of alternatives; duplicates and implied items go.
/// </summary>
public sealed class DependencyField
{
    private readonly List<List<DependencyTerm>> _items;

    private DependencyField(List<List<DependencyTerm>> items) => _items = items;

    public IReadOnlyList<IReadOnlyList<DependencyTerm>> Items => _items;

    /// <summary>
    /// Parses a field value; null with <paramref name="error"/> when a term is malformed.
    /// Terms restricted to other architectures or inactive build profiles are dropped, and the
    /// restrictions themselves removed, as dpkg-gencontrol does for a binary package.
    /// </summary>
    public static DependencyField? Parse(string value, string hostArch, IReadOnlyCollection<string> buildProfiles,
        bool union, bool virtualOnly, out string? error, bool reduceArch = true)
    {
        error = null;
        var items = new List<List<DependencyTerm>>();
        string line = Regex.Replace(value, @"\s*[\r\n]\s*", " ").Trim();
        if (line.Length == 0) return new DependencyField(items);
        foreach (var andPart in Regex.Split(line, @"\s*,\s*"))
        {
            if (andPart.Length == 0) continue;
            var alternatives = new List<DependencyTerm>();
            foreach (var orPart in Regex.Split(andPart, @"\s*\|\s*"))
            {
                var term = DependencyTerm.TryParse(orPart);
                if (term == null)
                {
                    error = $"can't parse dependency {orPart}";
                    return null;
                }
                if (virtualOnly && term.Relation is not (VersionRelation.None or VersionRelation.Equal))
                {
                    error = $"virtual dependency contains invalid relation: {term}";
                    return null;
                }
                if (term.Arches != null && reduceArch)
                {
                    if (!DebianArchitecture.IsConcerned(hostArch, term.Arches)) continue;
                    term = term with { Arches = null };
                }
                if (term.Restrictions != null)
                {
                    if (!ProfilesConcerned(term.Restrictions, buildProfiles)) continue;
                    term = term with { Restrictions = null };
                }
                alternatives.Add(term);
            }
            if (alternatives.Count == 0) continue;
            if (union && alternatives.Count > 1)
            {
                error = "an union dependency can only contain simple dependencies";
                return null;
            }
            items.Add(alternatives);
        }
        return new DependencyField(items);
    }

    /// <summary>A build-profile formula is met when any &lt;...&gt; group has all its terms met.</summary>
    private static bool ProfilesConcerned(IReadOnlyList<IReadOnlyList<string>> groups, IReadOnlyCollection<string> active) =>
        groups.Any(g => g.All(t => t.StartsWith('!') ? !active.Contains(t[1..]) : active.Contains(t)));

    /// <summary>
    /// Depends-like fields: drop items the package satisfies itself and items implied by an
    /// earlier item or a stronger field; an item implied by a later one is replaced by it.
    /// </summary>
    public void SimplifyAnd(KnownFacts facts, IReadOnlyList<DependencyField> stronger)
    {
        var pending = new List<List<DependencyTerm>>(_items);
        var kept = new List<List<DependencyTerm>>();
        while (pending.Count > 0)
        {
            var item = pending[0];
            pending.RemoveAt(0);
            if (item.Any(facts.Satisfies)) continue;
            if (stronger.SelectMany(f => f._items).Concat(kept).Any(k => ItemImplies(k, item) == true)) continue;
            int later = pending.FindIndex(o => ItemImplies(o, item) == true);
            if (later >= 0)
            {
                var replacement = pending[later];
                pending.RemoveAt(later);
                pending.Insert(0, replacement);
                continue;
            }
            kept.Add(item);
        }
        _items.Clear();
        _items.AddRange(kept);
    }

    /// <summary>Provides-like fields: merge entries about the same package, then sort.</summary>
    public void SimplifyUnion()
    {
        var merged = new List<DependencyTerm>();
        foreach (var term in _items.Select(i => i[0]))
        {
            int i = merged.FindIndex(m => MergeUnion(m, term) != null);
            if (i >= 0) merged[i] = MergeUnion(merged[i], term)!;
            else merged.Add(term);
        }
        merged = merged.Order(Comparer<DependencyTerm>.Create(CompareTerms)).ToList(); // stable, like perl's sort
        _items.Clear();
        _items.AddRange(merged.Select(t => new List<DependencyTerm> { t }));
    }

    public override string ToString() => string.Join(", ", _items.Select(i => string.Join(" | ", i)));

    /// <summary>An alternatives list implies another when each of its terms implies one of the other's.</summary>
    private static bool? ItemImplies(List<DependencyTerm> p, List<DependencyTerm> q)
    {
        if (p.Count == 1)
        {
            var s = p[0];
            if (q.Count == 1) return s.Implies(q[0]);
            bool? result = null;
            foreach (var alt in q)
            {
                var r = s.Implies(alt);
                if (r == null) continue;
                result = result == null ? r : (r == true ? true : false);
                if (result == true) break;
            }
            return result;
        }
        if (q.Count == 1) return null;
        return p.All(a => q.Any(b => a.Implies(b) == true)) ? true : null;
    }

    /// <summary>The union of two terms as one term, or null when they cannot be merged.</summary>
    private static DependencyTerm? MergeUnion(DependencyTerm self, DependencyTerm other)
    {
        if (self.Package != other.Package) return null;
        if (other.Relation == VersionRelation.None && self.Relation != VersionRelation.None)
            return self with { Relation = VersionRelation.None, Version = null };
        var implication = self.Implies(other);
        if (implication != null) return implication == true ? self with { Relation = other.Relation, Version = other.Version } : null;
        var reverse = other.Implies(self);
        if (reverse != null) return reverse == true ? self : null;
        return null;
    }

    private static int RelationOrder(VersionRelation r) => r switch
    {
        VersionRelation.None => 0,
        VersionRelation.GreaterEqual => 1,
        VersionRelation.Greater => 2,
        VersionRelation.Equal => 3,
        VersionRelation.Less => 4,
        _ => 5,
    };

    private static int CompareTerms(DependencyTerm a, DependencyTerm b)
    {
        int c = string.CompareOrdinal(a.Package, b.Package);
        if (c != 0) return c;
        c = RelationOrder(a.Relation).CompareTo(RelationOrder(b.Relation));
        return c != 0 ? c : string.CompareOrdinal(a.Version ?? "", b.Version ?? "");
    }
}
