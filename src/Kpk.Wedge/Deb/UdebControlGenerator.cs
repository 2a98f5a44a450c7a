using System.Text;
using System.Text.RegularExpressions;
using Kpk.Core;

namespace Kpk.Wedge.Deb;

/// <summary>What goes into one package's control file besides debian/control itself.</summary>
public sealed record ControlInputs(
    DebianChangelog Changelog,
    string HostArch,
    IReadOnlyCollection<string> BuildProfiles,
    Substvars Substvars,
    long InstalledSize,
    string? BinaryVersion = null);

/// <summary>The control file of one binary package and what was noticed while making it.</summary>
public sealed record GeneratedControl(string Package, DebianVersion Version, string Architecture, IReadOnlyList<(string Name, string Value)> Fields, IReadOnlyList<string> Warnings)
{
    public string? this[string name] => Fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase)).Value;

    public string Text => string.Concat(Fields.Select(f => ControlParagraph.FormatField(f.Name, f.Value)));
}

/// <summary>
/// Makes a udeb's DEBIAN/control from debian/control the way dpkg-gencontrol does (as
/// dh_gencontrol runs it): fields inherited from the source paragraph, the binary paragraph's
/// own, Version from the changelog, Architecture resolved for the host, relationship fields
/// reduced and simplified, substitution variables expanded, Installed-Size added, and the
/// fields a udeb must not carry (Package-Type, Homepage) removed — in dpkg's field order.
/// </summary>
public static partial class UdebControlGenerator
{
    /// <summary>dpkg's output order for a binary package's control file; other fields follow, sorted.</summary>
    private static readonly string[] FieldOrder =
    [
        "Package", "Package-Type", "Source", "Version", "Kernel-Version", "Built-For-Profiles", "Auto-Built-Package",
        "Architecture", "Subarchitecture", "Installer-Menu-Item", "Build-Essential", "Essential", "Protected", "Origin",
        "Bugs", "Maintainer", "Installed-Size", "Pre-Depends", "Depends", "Recommends", "Suggests", "Enhances",
        "Conflicts", "Breaks", "Replaces", "Provides", "Built-Using", "Static-Built-Using", "Section", "Priority",
        "Multi-Arch", "Homepage", "Description", "Tag", "Task",
    ];

    /// <summary>Relationship fields, strongest first; the first four are simplified against each other.</summary>
    private static readonly string[] NormalDependencyFields = ["Pre-Depends", "Depends", "Recommends", "Suggests"];
    private static readonly string[] UnionDependencyFields = ["Enhances", "Conflicts", "Breaks", "Replaces", "Provides", "Built-Using", "Static-Built-Using"];

    /// <summary>Source-paragraph fields a binary package inherits (Source and Description are handled apart).</summary>
    private static readonly HashSet<string> InheritedFromSource = new(["Bugs", "Homepage", "Origin", "Maintainer", "Priority", "Section"], StringComparer.OrdinalIgnoreCase);

    private static readonly HashSet<string> KnownInSource = new(
    [
        "Bugs", "Build-Conflicts", "Build-Conflicts-Arch", "Build-Conflicts-Indep", "Build-Depends", "Build-Depends-Arch",
        "Build-Depends-Indep", "Description", "Homepage", "Origin", "Maintainer", "Priority", "Rules-Requires-Root", "Section",
        "Source", "Standards-Version", "Testsuite", "Testsuite-Triggers", "Uploaders", "Vcs-Browser", "Vcs-Arch", "Vcs-Bzr",
        "Vcs-Cvs", "Vcs-Darcs", "Vcs-Git", "Vcs-Hg", "Vcs-Mtn", "Vcs-Svn",
    ], StringComparer.OrdinalIgnoreCase);

    private static readonly HashSet<string> CopiedFromBinary = new(
    [
        "Breaks", "Build-Essential", "Built-For-Profiles", "Built-Using", "Conflicts", "Depends", "Description", "Enhances",
        "Essential", "Homepage", "Installer-Menu-Item", "Kernel-Version", "Multi-Arch", "Package", "Package-Type", "Pre-Depends",
        "Priority", "Protected", "Provides", "Recommends", "Replaces", "Section", "Static-Built-Using", "Subarchitecture",
        "Suggests", "Tag", "Task",
    ], StringComparer.OrdinalIgnoreCase);

    private static readonly HashSet<string> KnownInBinary = new(CopiedFromBinary.Append("Architecture").Append("Build-Profiles"), StringComparer.OrdinalIgnoreCase);

    private static readonly Dictionary<string, string> CanonicalNames =
        FieldOrder.Concat(KnownInSource).Concat(KnownInBinary).Distinct(StringComparer.OrdinalIgnoreCase)
            .ToDictionary(n => n, n => n, StringComparer.OrdinalIgnoreCase);

    [GeneratedRegex("^X([SBC]*)-", RegexOptions.IgnoreCase)]
    private static partial Regex CustomField();

    public static GeneratedControl Generate(DebianControl control, ControlParagraph binary, ControlInputs inputs)
    {
        var warnings = new List<string>();
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase); // how each field is spelled on output
        var subst = inputs.Substvars;
        string package = binary["Package"]!;
        string where = $"{control.Path}:{binary.Line}";

        var sourceVersion = inputs.Changelog.Version;
        DebianVersion binaryVersion = sourceVersion;
        if (inputs.BinaryVersion != null && !DebianVersion.TryParse(inputs.BinaryVersion, out binaryVersion!, out var verr))
            throw new KpkException($"version '{inputs.BinaryVersion}' is not valid: {verr}");
        subst.SetVersions(sourceVersion, binaryVersion);
        subst["Arch"] = inputs.HostArch;

        string? sourceName = null;
        foreach (var f in control.Source.Fields)
        {
            if (f.Name.Equals("Source", StringComparison.OrdinalIgnoreCase))
            {
                sourceName = SourceName(f.Value, $"{control.Path}:{f.Line}");
            }
            else if (f.Name.Equals("Description", StringComparison.OrdinalIgnoreCase))
            {
                // Not inherited: only offered as substitution variables.
                int nl = f.Value.IndexOf('\n');
                subst["source:Synopsis"] = nl < 0 ? f.Value : f.Value[..nl];
                subst["source:Extended-Description"] = nl < 0 ? "" : f.Value[(nl + 1)..];
            }
            else
            {
                Transfer(f, InheritedFromSource, KnownInSource, "source paragraph");
            }
            subst["S:" + f.Name] = f.Value;
        }

        string architecture = "";
        foreach (var f in binary.Fields)
        {
            if (NormalDependencyFields.Concat(UnionDependencyFields).Contains(f.Name, StringComparer.OrdinalIgnoreCase)) continue;
            if (f.Name.Equals("Architecture", StringComparison.OrdinalIgnoreCase))
            {
                architecture = ResolveArchitecture(package, f.Value, inputs.HostArch);
                Put("Architecture", architecture);
            }
            else
            {
                Transfer(f, CopiedFromBinary, KnownInBinary, $"package {package}'s paragraph");
            }
        }

        if (sourceName != null && sourceName != inputs.Changelog.Source)
            throw new KpkException($"source package has two conflicting values - {sourceName} (debian/control) and {inputs.Changelog.Source} (debian/changelog)");
        sourceName ??= inputs.Changelog.Source;
        Put("Version", binaryVersion.Text);

        var facts = new KnownFacts(package, binaryVersion);
        bool reduceArch = architecture != "all";
        if (binary["Provides"] is { } provides)
        {
            var parsed = DependencyField.Parse(subst.Expand(provides, where), inputs.HostArch, inputs.BuildProfiles, union: true, virtualOnly: true, out _, reduceArch);
            foreach (var item in parsed?.Items ?? []) facts.AddProvided(item[0]);
        }
        var stronger = new List<DependencyField>();
        foreach (var name in NormalDependencyFields.Concat(UnionDependencyFields))
        {
            var f = binary.Find(name);
            if (f == null) continue;
            bool union = UnionDependencyFields.Contains(name);
            string value = subst.Expand(f.Value, $"{control.Path}:{f.Line}: {name} field of package {package}");
            var dep = DependencyField.Parse(value, inputs.HostArch, inputs.BuildProfiles, union, virtualOnly: name == "Provides", out var error, reduceArch)
                ?? throw new KpkException($"{control.Path}:{f.Line}: parsing package '{package}' {name} field: {value}: {error}");
            if (union) dep.SimplifyUnion();
            else
            {
                dep.SimplifyAnd(facts, stronger);
                stronger.Add(dep);
            }
            string text = dep.ToString();
            if (text.Length > 0) Put(name, text);
        }

        if (!fields.ContainsKey("Maintainer")) warnings.Add($"{where}: missing information for output field Maintainer");
        if (!fields.ContainsKey("Description")) warnings.Add($"{where}: missing information for output field Description");

        // dh_gencontrol drops an explicit "Multi-Arch: no" (the default anyway).
        if (fields.TryGetValue("Multi-Arch", out var multiArch) && multiArch.Trim() == "no") fields.Remove("Multi-Arch");

        // dpkg-gencontrol leaves these out of udebs: the type is in the file name, and d-i has no use for a homepage.
        fields.Remove("Package-Type");
        fields.Remove("Homepage");

        bool versionDiffers = binaryVersion.Text != sourceVersion.Text;
        if (package != sourceName || versionDiffers)
            Put("Source", sourceName + (versionDiffers ? $" ({sourceVersion.Text})" : ""));

        long installedSize = inputs.InstalledSize;
        if (subst["Installed-Size"] is { } forced && !long.TryParse(forced, out installedSize))
            throw new KpkException($"substitution variable Installed-Size is not a number: '{forced}'");
        if (subst["Extra-Size"] is { } extra)
            installedSize += long.TryParse(extra, out long e) ? e : throw new KpkException($"substitution variable Extra-Size is not a number: '{extra}'");
        Put("Installed-Size", installedSize.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // Expand what is left, then drop fields that ended up empty.
        foreach (var key in fields.Keys.ToList())
        {
            string v = subst.Expand(fields[key], $"{where}: {key} field of package {package}");
            if (NormalDependencyFields.Concat(UnionDependencyFields).Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                v = Regex.Replace(v, @",[\s,]*,", ",");
                v = Regex.Replace(v, @"^\s*,\s*", "");
                v = Regex.Replace(v, @"\s*,\s*$", "");
            }
            fields[key] = v.Replace("${}", "$");
        }
        warnings.AddRange(subst.Warnings);

        var ordered = new List<(string, string)>();
        foreach (var name in FieldOrder)
            if (fields.TryGetValue(name, out var v) && HasContent(v)) ordered.Add((name, v));
        foreach (var key in fields.Keys.Where(k => !FieldOrder.Contains(k, StringComparer.OrdinalIgnoreCase)).Select(k => names[k]).Order(StringComparer.Ordinal))
            if (HasContent(fields[key])) ordered.Add((key, fields[key]));

        return new GeneratedControl(package, binaryVersion, architecture, ordered, warnings);

        void Put(string name, string value)
        {
            fields[name] = value;
            names[name] = name;
        }

        void Transfer(ControlField f, HashSet<string> copied, HashSet<string> known, string paragraph)
        {
            string name = Canonical(f.Name);
            if (copied.Contains(name))
            {
                Put(name, f.Value);
                return;
            }
            var custom = CustomField().Match(name);
            if (custom.Success)
            {
                if (custom.Groups[1].Value.Contains('B', StringComparison.OrdinalIgnoreCase)) Put(Canonical(name[custom.Length..]), f.Value);
                return;
            }
            if (!known.Contains(name))
                warnings.Add($"{control.Path}:{f.Line}: unknown field '{name}' in the {paragraph}; not copied into the package");
        }
    }

    private static bool HasContent(string v) => v.Any(c => !char.IsWhiteSpace(c));

    /// <summary>dpkg's spelling of a field name: the known one, or each dash-separated word capitalised.</summary>
    public static string Canonical(string name) =>
        CanonicalNames.TryGetValue(name, out var known) ? known
            : string.Join('-', name.ToLowerInvariant().Split('-').Select(w => w.Length == 0 ? w : char.ToUpperInvariant(w[0]) + w[1..]));

    private static string SourceName(string value, string where)
    {
        // "Source: name" or, in binary contexts, "name (version)"
        var m = Regex.Match(value.Trim(), @"^(\S+)(?:\s*\((\S+)\))?$");
        if (!m.Success || !DebianControl.IsValidPackageName(m.Groups[1].Value))
            throw new KpkException($"{where}: source package name '{value}' is not valid");
        return m.Groups[1].Value;
    }

    /// <summary>"all" stays; otherwise the host architecture, which must be in the package's list.</summary>
    public static string ResolveArchitecture(string package, string value, string hostArch)
    {
        var list = value.Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        if (list.Length == 1 && list[0] == "all") return "all";
        if (!list.Any(a => DebianArchitecture.Matches(hostArch, a)))
            throw new KpkException($"current host architecture '{hostArch}' does not appear in package '{package}' architecture list ({string.Join(' ', list)})");
        return hostArch;
    }

    /// <summary>Whether a package with this Architecture field is built on <paramref name="hostArch"/>.</summary>
    public static bool BuildsOn(string architectureField, string hostArch)
    {
        var list = architectureField.Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        return list.Any(a => a == "all" || DebianArchitecture.Matches(hostArch, a));
    }
}
