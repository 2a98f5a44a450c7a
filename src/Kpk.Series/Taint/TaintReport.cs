using System.Globalization;
using System.Text;
using Kpk.Core;

namespace Kpk.Series.Taint;

/// <summary>A taint value taken apart: the bits set, with their letters and reasons.</summary>
/// <param name="Value">The taint mask, as in /proc/sys/kernel/tainted.</param>
/// <param name="Flags">The known flags that are set, in bit order.</param>
/// <param name="UnknownBits">Set bits no flag of the layout explains.</param>
/// <param name="TaintedLine">What the kernel prints in an oops: "Not tainted" or "Tainted: " and one column per flag.</param>
/// <param name="Supported">For SUSE layouts, what /sys/kernel/supported would say (null otherwise).</param>
public sealed record TaintReport(ulong Value, IReadOnlyList<TaintFlag> Flags, IReadOnlyList<int> UnknownBits, string TaintedLine, string? Supported)
{
    /// <summary>Explains <paramref name="value"/> for a kernel with the given SUSE <paramref name="layout"/>.</summary>
    public static TaintReport Explain(ulong value, SuseTaintLayout layout = SuseTaintLayout.Current)
    {
        var known = TaintFlags.For(layout);
        var set = known.Where(f => (value & f.Value) != 0).ToList();
        ulong explained = known.Aggregate(0UL, (mask, f) => mask | f.Value);
        var unknown = Enumerable.Range(0, 64).Where(bit => (value & ~explained & (1UL << bit)) != 0).ToList();
        return new TaintReport(value, set, unknown, RenderTaintedLine(value, known, layout), layout == SuseTaintLayout.None ? null : SupportStatus(value, known));
    }

    /// <summary>
    /// The kernel's print_tainted(): one column per flag in bit order, the letter when the bit is
    /// set and the "clear" letter (G for bit 0, else a blank) when not. SUSE kernels skip the unused
    /// bits between upstream's last flag and their own.
    /// </summary>
    private static string RenderTaintedLine(ulong value, IReadOnlyList<TaintFlag> known, SuseTaintLayout layout)
    {
        if (value == 0) return "Not tainted";
        var line = new StringBuilder("Tainted: ");
        if (layout == SuseTaintLayout.Early)
        {
            // Four columns: G/P, F, S, then U for unsupported or else X for externally supported; the
            // machine check bit has no column.
            foreach (var flag in known.Where(f => f.Bit < 3)) line.Append((value & flag.Value) != 0 ? flag.Letter : flag.LetterWhenClear);
            return line.Append((value & (1UL << 4)) != 0 ? 'U' : (value & (1UL << 5)) != 0 ? 'X' : ' ').ToString();
        }
        foreach (var flag in known.OrderBy(f => f.Bit)) line.Append((value & flag.Value) != 0 ? flag.Letter : flag.LetterWhenClear);
        return line.ToString();
    }

    /// <summary>SUSE's supported_printable(): whether SUSE supports the kernel in this state.</summary>
    private static string SupportStatus(ulong value, IReadOnlyList<TaintFlag> known)
    {
        bool Has(string name) => known.Any(f => f.Name == name && (value & f.Value) != 0);
        bool proprietary = Has("TAINT_PROPRIETARY_MODULE"), unsupported = Has("TAINT_NO_SUPPORT");
        if (proprietary && unsupported) return "No, Proprietary and Unsupported modules are loaded";
        if (proprietary) return "No, Proprietary modules are loaded";
        if (unsupported) return "No, Unsupported modules are loaded";
        if (Has("TAINT_EXTERNAL_SUPPORT")) return "Yes, External";
        return "Yes";
    }

    /// <summary>Reads a taint value: decimal (as /proc/sys/kernel/tainted has it) or hexadecimal with 0x.</summary>
    public static ulong ParseValue(string text)
    {
        string t = text.Trim();
        bool ok = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(t[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value)
            : ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        if (!ok || t.Length == 0)
            throw new KpkException($"taint value '{text}' is not a number: give it in decimal (as /proc/sys/kernel/tainted has it) or as 0x-hexadecimal, below 2^64");
        return value;
    }
}
