using System.Text.RegularExpressions;
using Kpk.Core;

namespace Kpk.Wedge;

/// <summary>
/// A package template from package-list: control fields by name, where a field may also come in
/// variants "Field_flavour", "Field_arch_flavour" and "Field_arch" that win for that kernel.
/// </summary>
public sealed class PackageTemplate
{
    private readonly Dictionary<string, string> _fields = new(StringComparer.Ordinal);

    public PackageTemplate(string name) => Name = name;

    /// <summary>The base Package field, which names the template when lists are merged.</summary>
    public string Name { get; }

    public IReadOnlyDictionary<string, string> Fields => _fields;

    internal void Set(string field, string value) => _fields[field] = value;

    /// <summary>
    /// The field's value for one kernel: Field_flavour, then Field_arch_flavour, then Field_arch,
    /// then Field, as kernel-wedge looks them up (flavour first, even before arch_flavour).
    /// </summary>
    public string? Get(string field, string arch, string flavour)
    {
        foreach (var key in new[] { $"{field}_{flavour}", $"{field}_{arch}_{flavour}", $"{field}_{arch}", field })
            if (_fields.TryGetValue(key, out var value)) return value;
        return null;
    }
}

/// <summary>
/// The package-list files: the default configuration's, overridden field by field by the
/// configuration directory's. Templates keep the order they were first seen in.
/// </summary>
public static class PackageList
{
    public const string FileName = "package-list";

    /// <summary>The control fields gen-control writes, in the order it writes them.</summary>
    public static readonly IReadOnlyList<string> ControlFields =
    [
        "Package", "Package-Type", "Provides", "Depends", "Architecture", "Kernel-Version",
        "Section", "Priority", "Description",
    ];

    private static readonly Regex FieldLine = new(@"^([^ \t\n\r\f\v]+):[ \t\n\r\f\v]*(.*)", RegexOptions.CultureInvariant);

    /// <summary>
    /// Both lists merged. The default configuration's list is read unless it is the configuration
    /// directory itself (compared as the strings the user gave, as the reference does).
    /// </summary>
    public static IReadOnlyList<PackageTemplate> ReadAll(WedgeEnvironment env)
    {
        string defConfig = env.RequireDefConfigDir();
        var byName = new Dictionary<string, PackageTemplate>(StringComparer.Ordinal);
        var order = new List<PackageTemplate>();
        if (defConfig != env.ConfigDir) ReadInto(env, $"{defConfig}/{FileName}", byName, order);
        ReadInto(env, $"{env.ConfigDir}/{FileName}", byName, order);
        return order;
    }

    private static void ReadInto(WedgeEnvironment env, string shown, Dictionary<string, PackageTemplate> byName, List<PackageTemplate> order)
    {
        var lines = PerlText.ReadRequired(env.Resolve(shown), shown);
        string? field = null; // survives a blank line, as in the reference: a continuation may open a stanza
        var stanza = new List<(string Field, string Value)>();
        int stanzaLine = 0;

        void Flush()
        {
            if (stanza.Count == 0) return;
            // Fields keep their last value within a stanza, so a repeated field overrides.
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (f, v) in stanza) values[f] = v;
            if (!values.TryGetValue("Package", out var name))
                throw new KpkException($"{shown}:{stanzaLine}: the stanza has no Package field", WedgeExit.BadContent);
            if (!byName.TryGetValue(name, out var template))
            {
                template = new PackageTemplate(name);
                byName[name] = template;
                order.Add(template);
            }
            foreach (var (f, v) in values) template.Set(f, v);
            stanza.Clear();
        }

        for (int n = 0; n < lines.Count; n++)
        {
            string line = lines[n];
            if (line.StartsWith('#')) continue;
            var m = FieldLine.Match(line);
            if (m.Success)
            {
                field = m.Groups[1].Value;
                if (!IsKnownField(field))
                    throw new KpkException($"{shown}:{n + 1}: unknown field, {field}", WedgeExit.BadContent);
                if (stanza.Count == 0) stanzaLine = n + 1;
                stanza.Add((field, m.Groups[2].Value));
            }
            else if (line.Length == 0)
            {
                Flush();
            }
            else if (PerlText.IsSpace(line[0]))
            {
                if (field == null)
                    throw new KpkException($"{shown}:{n + 1}: continuation line before any field", WedgeExit.BadContent);
                if (stanza.Count == 0) stanzaLine = n + 1;
                int last = stanza.FindLastIndex(s => s.Field == field);
                if (last < 0) stanza.Add((field, "\n" + line));
                else stanza[last] = (field, stanza[last].Value + "\n" + line);
            }
            // Any other line is ignored, as the reference ignores it.
        }
        Flush();
    }

    /// <summary>A control field, possibly with a "_variant" suffix; names are case-sensitive.</summary>
    private static bool IsKnownField(string field)
    {
        foreach (var known in ControlFields)
        {
            if (field == known) return true;
            if (field.Length > known.Length + 1 && field.StartsWith(known, StringComparison.Ordinal) && field[known.Length] == '_')
                return true;
        }
        return false;
    }
}
