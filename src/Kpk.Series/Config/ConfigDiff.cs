using System.Text;

namespace Kpk.Series.Config;

/// <summary>
/// <c>kpk config diff A B</c>, in the format of the kernel's scripts/diffconfig: settings only in A
/// (<c>-NAME VALUE</c>), then changed ones (<c> NAME OLD -> NEW</c>), then ones only in B
/// (<c>+NAME VALUE</c>), each group sorted by name; "is not set" reads as <c>n</c>. In merge style
/// (<c>-m</c>) the changed and added settings are printed as config lines instead, ready to lay
/// over A.
/// </summary>
public static class ConfigDiff
{
    public static string Format(KernelConfig a, KernelConfig b, bool mergeStyle = false)
    {
        var before = a.Values();
        var after = b.Values();
        var output = new StringBuilder();
        foreach (string name in before.Keys.Where(k => !after.ContainsKey(k)).Order(StringComparer.Ordinal))
            if (!mergeStyle) output.Append($"-{name} {before[name]}\n");
        foreach (string name in before.Keys.Where(k => after.TryGetValue(k, out var v) && v != before[k]).Order(StringComparer.Ordinal))
            output.Append(mergeStyle ? Setting(name, after[name]) : $" {name} {before[name]} -> {after[name]}\n");
        foreach (string name in after.Keys.Where(k => !before.ContainsKey(k)).Order(StringComparer.Ordinal))
            output.Append(mergeStyle ? Setting(name, after[name]) : $"+{name} {after[name]}\n");
        return output.ToString();
    }

    private static string Setting(string name, string value) =>
        value == "n" ? $"# CONFIG_{name} is not set\n" : $"CONFIG_{name}={value}\n";
}
