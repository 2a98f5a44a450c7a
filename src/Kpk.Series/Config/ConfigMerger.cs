namespace Kpk.Series.Config;

/// <summary>The merged config text and every warning met on the way.</summary>
public sealed record ConfigMergeResult(string Text, IReadOnlyList<ConfigWarning> Warnings);

/// <summary>
/// <c>kpk config merge BASE ADDON...</c>: the base config with the add-ons laid over it. A later
/// file's value wins, but a setting keeps the place where it first appeared (so the result reads
/// like the base, with add-on-only settings after it, in the order they first appear). The base's
/// comments and blank lines are kept; the add-ons' are not. Lines that are not config are dropped
/// with a warning naming file and line, as is a setting given twice within one file (the later
/// one wins there too).
/// </summary>
public static class ConfigMerger
{
    public static ConfigMergeResult Merge(IReadOnlyList<KernelConfig> configs)
    {
        if (configs.Count == 0) throw new ArgumentException("nothing to merge", nameof(configs));
        // Each output slot is either fixed text (a base comment) or the place of a symbol.
        var slots = new List<(string? Text, string? Symbol)>();
        var winning = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int c = 0; c < configs.Count; c++)
        {
            foreach (var line in configs[c].Lines)
            {
                if (line.IsSetting)
                {
                    if (!winning.ContainsKey(line.Symbol!)) slots.Add((null, line.Symbol));
                    winning[line.Symbol!] = line.Text;
                }
                else if (c == 0 && !KernelConfig.IsForeign(line))
                    slots.Add((line.Text, null));
            }
        }
        var text = new System.Text.StringBuilder();
        foreach (var (fixedText, symbol) in slots)
            text.Append(symbol != null ? winning[symbol] : fixedText).Append('\n');
        return new ConfigMergeResult(text.ToString(), configs.SelectMany(c => c.Warnings).ToList());
    }
}
