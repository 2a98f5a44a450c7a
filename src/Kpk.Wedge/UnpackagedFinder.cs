using Kpk.Core;

namespace Kpk.Wedge;

/// <summary>
/// <c>find-unpackaged</c>: the kernel's modules that no debian/*-modules-KERNEL-di package holds
/// (modules in the kernel-image package count as unpackaged, as in the reference).
/// </summary>
public static class UnpackagedFinder
{
    public static IReadOnlyList<string> Find(WedgeEnvironment env, string kernel, string installedName)
    {
        string sourceDir = PerlTruth.IsTrue(env.SourceDir) ? env.SourceDir! : "";
        string? moduleDir = new[] { $"/usr/lib/modules/{installedName}", $"/lib/modules/{installedName}" }
            .FirstOrDefault(d => Directory.Exists(env.Resolve(sourceDir + d)));
        if (moduleDir == null)
            throw new KpkException($"No source modules directory found (looked for {sourceDir}/usr/lib/modules/{installedName} and {sourceDir}/lib/modules/{installedName})", WedgeExit.NoSuchFile);

        var unpackaged = new HashSet<string>(Modules(env.Resolve(sourceDir + moduleDir)), StringComparer.Ordinal);
        foreach (var package in PackageDirs.ModulePackages(env, kernel))
        {
            string packaged = env.Resolve($"debian/{package}{moduleDir}");
            if (Directory.Exists(packaged)) unpackaged.ExceptWith(Modules(packaged));
        }
        var sorted = unpackaged.ToList();
        sorted.Sort(ByteOrder.Instance);
        return sorted;
    }

    /// <summary>The report, in the reference's words.</summary>
    public static string Format(string kernel, IReadOnlyList<string> modules) =>
        $"These modules from {kernel} are unpackaged:\n" + string.Concat(modules.Select(m => $"\t\t{m}\n"));

    /// <summary>Every entry named like a module, without following symlinks (as File::Find walks by default).</summary>
    private static IEnumerable<string> Modules(string root) =>
        PackageDirs.Walk(root).Where(e => ModuleTree.ModuleFileName.IsMatch(e.Entry.Name)).Select(e => e.Path);
}
