using Kpk.Core;

namespace Kpk.Wedge.Deb;

/// <summary>
/// debian/control: the source paragraph first, then one paragraph per binary package — the
/// file kernel-wedge gen-control writes (or appends to).
/// </summary>
public sealed class DebianControl
{
    private DebianControl(string path, ControlParagraph source, IReadOnlyList<ControlParagraph> packages)
    {
        Path = path;
        Source = source;
        Packages = packages;
    }

    public string Path { get; }
    public ControlParagraph Source { get; }
    public IReadOnlyList<ControlParagraph> Packages { get; }

    public static DebianControl Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{path}: cannot read: {IoError.Reason(e)}");
        }
        return Parse(text, path);
    }

    public static DebianControl Parse(string text, string path)
    {
        var paragraphs = ControlParagraph.ParseAll(text, path);
        if (paragraphs.Count == 0) throw new KpkException($"{path}: empty control file");
        var source = paragraphs[0];
        if (!source.Has("Source"))
            throw new KpkException($"{path}:{source.Line}: first paragraph lacks a Source field (kernel-wedge gen-control output goes after the source paragraph)");
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in paragraphs.Skip(1))
        {
            foreach (var f in new[] { "Package", "Architecture" })
                if (!p.Has(f)) throw new KpkException($"{path}:{p.Line}: paragraph lacks the '{f}' field");
            string name = p["Package"]!;
            if (!IsValidPackageName(name))
                throw new KpkException($"{path}:{p.Find("Package")!.Line}: invalid package name '{name}'");
            if (seen.TryGetValue(name, out int line))
                throw new KpkException($"{path}:{p.Find("Package")!.Line}: package {name} already defined at line {line}");
            seen[name] = p.Find("Package")!.Line;
        }
        return new DebianControl(path, source, paragraphs.Skip(1).ToList());
    }

    public ControlParagraph? Find(string package) => Packages.FirstOrDefault(p => p["Package"] == package);

    /// <summary>Package-Type: udeb, or the older XC-Package-Type spelling.</summary>
    public static bool IsUdeb(ControlParagraph package)
    {
        string? type = package["Package-Type"]
            ?? package.Fields.FirstOrDefault(f => System.Text.RegularExpressions.Regex.IsMatch(f.Name, "^X[SBC]*-Package-Type$", System.Text.RegularExpressions.RegexOptions.IgnoreCase))?.Value;
        return type == "udeb";
    }

    public static bool IsValidPackageName(string name) =>
        name.Length >= 2 && (char.IsAsciiLetterLower(name[0]) || char.IsAsciiDigit(name[0]))
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '+' or '-' or '.');
}
