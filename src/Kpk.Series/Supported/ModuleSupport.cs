using Kpk.Series.Guards;

namespace Kpk.Series.Supported;

/// <summary>How SUSE supports a module, as its modinfo "supported" field says it.</summary>
public enum SupportLevel
{
    /// <summary><c>supported: yes</c>.</summary>
    Yes,
    /// <summary><c>supported: external</c> — supported together with a partner (loading it sets taint X).</summary>
    External,
    /// <summary><c>supported: no</c> — loading it sets taint N.</summary>
    No,
}

/// <summary>One module line of supported.conf.</summary>
/// <param name="Module">The module's path in the tree without .ko (may hold shell wildcards, as <c>drivers/atm/*</c>).</param>
/// <param name="Guards">Its guards (<c>+base</c>, <c>+external</c>, <c>-</c>, <c>-!optional</c>, <c>+NAME-kmp</c>, …).</param>
/// <param name="Level">Its support level in Module.supported.</param>
/// <param name="Line">Its line in supported.conf.</param>
public sealed record SupportedModule(string Module, IReadOnlyList<string> Guards, SupportLevel Level, int Line)
{
    /// <summary>True for <c>+base</c>: packaged in kernel-FLAVOR-base.</summary>
    public bool Base => Guards.Contains("+base");

    /// <summary>The KMP a <c>+NAME-kmp</c> guard puts the module into (NAME-kmp-FLAVOR), if any.</summary>
    public string? Kmp => Guards.FirstOrDefault(g => g.StartsWith('+') && g.EndsWith("-kmp", StringComparison.Ordinal))?[1..];

    /// <summary>True for <c>-!optional</c>: unsupported, but packaged in the main package rather than -optional.</summary>
    public bool NotOptional => Guards.Contains("-!optional");
}

/// <summary>
/// Module.supported from SUSE's supported.conf, as kernel-source's sequence-patch and kernel
/// spec make it: every module line regardless of guards (<c>guards --list --with-guards</c>), then
/// a line that has <c>+external </c> in it becomes "MODULE external", a line whose guards start
/// with <c>-</c> (<c>-</c>, <c>-!optional</c>) becomes "MODULE no", and any other line just "MODULE"
/// (supported: yes). modpost reads it to put the supported flag into each module's modinfo.
/// </summary>
public static class ModuleSupportedFile
{
    /// <summary>Reads supported.conf (bytes) into its module lines.</summary>
    public static List<SupportedModule> Parse(byte[] supportedConf) =>
        GuardedList.Parse(ByteText.FromBytes(supportedConf))
            .Select(e => new SupportedModule(ByteText.ToUnicode(e.Name), e.Guards.Select(ByteText.ToUnicode).ToArray(), LevelOf(e), e.Line))
            .ToList();

    /// <summary>The Module.supported bytes for supported.conf bytes.</summary>
    public static byte[] Generate(byte[] supportedConf)
    {
        var text = new System.Text.StringBuilder();
        foreach (var entry in GuardedList.Parse(ByteText.FromBytes(supportedConf)))
        {
            text.Append(entry.Name);
            text.Append(LevelOf(entry) switch { SupportLevel.External => " external", SupportLevel.No => " no", _ => "" });
            text.Append('\n');
        }
        return ByteText.ToBytes(text.ToString());
    }

    /// <summary>The level from the line as guards --list --with-guards prints it ("GUARDS… MODULE").</summary>
    private static SupportLevel LevelOf(GuardedEntry entry)
    {
        string listed = entry.Guards.Count > 0 ? string.Join(' ', entry.Guards) + " " + entry.Name : entry.Name;
        if (listed.Contains("+external ", StringComparison.Ordinal)) return SupportLevel.External;
        if (listed.StartsWith('-')) return SupportLevel.No;
        return SupportLevel.Yes;
    }

    /// <summary>
    /// The level modpost gives a module from Module.supported text: the first line whose name, with
    /// directories and a .ko dropped, equals the module's base name; null when none does (the
    /// module gets no supported flag, which counts as unsupported when it is loaded).
    /// </summary>
    public static string? LevelFor(string moduleSupported, string module)
    {
        string wanted = BaseName(module);
        foreach (string line in moduleSupported.Split('\n'))
        {
            if (line.Length == 0) continue;
            int split = line.IndexOfAny([' ', '\t']);
            string name = split < 0 ? line : line[..split];
            string how = split < 0 ? "yes" : line[(split + 1)..];
            if (BaseName(name) == wanted) return how;
        }
        return null;
    }

    private static string BaseName(string module)
    {
        string name = module[(module.LastIndexOf('/') + 1)..];
        return name.Length > 3 && name.EndsWith(".ko", StringComparison.Ordinal) ? name[..^3] : name;
    }
}
