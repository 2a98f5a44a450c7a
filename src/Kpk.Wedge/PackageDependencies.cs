namespace Kpk.Wedge;

/// <summary>One "package depends on package" pair from package-list, between module lists of one flavour.</summary>
public sealed record PackageDependency(string Package, string DependsOn);

/// <summary>
/// <c>gen-deps</c>: which module packages depend on which, for one flavour of the host
/// architecture; the input copy-modules orders packages by. Dependencies on packages without a
/// module list here are left out (a forced "name!" has none, so it is left out too).
/// </summary>
public static class PackageDependencies
{
    public static IReadOnlyList<PackageDependency> For(WedgeEnvironment env, string flavour)
    {
        string arch = env.HostArch;
        var templates = PackageList.ReadAll(env);
        string modListDir = ConfigLayout.ModuleListDir(env, env.ConfigDir, arch, flavour);
        var pairs = new List<PackageDependency>();
        foreach (var template in templates)
        {
            string? package = template.Get("Package", arch, flavour);
            if (package == null || !ConfigLayout.Exists(env.Resolve($"{modListDir}/{package}"))) continue;
            // A later template that resolves to the same package name replaces the earlier one's pairs.
            pairs.RemoveAll(p => p.Package == package);
            foreach (var dep in PerlText.SplitCommaList(template.Get("Depends", arch, flavour)))
                if (ConfigLayout.Exists(env.Resolve($"{modListDir}/{dep}")))
                    pairs.Add(new PackageDependency(package, dep));
        }
        pairs.Sort((a, b) => ByteOrder.Instance.Compare(Format(a), Format(b)));
        return pairs;
    }

    /// <summary>The tsort line: "package\tdependency".</summary>
    public static string Format(PackageDependency pair) => $"{pair.Package}\t{pair.DependsOn}";
}
