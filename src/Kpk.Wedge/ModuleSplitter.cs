using Kpk.Core;

namespace Kpk.Wedge;

/// <summary>One module package's share of a kernel's modules, decided before anything is written.</summary>
public sealed record ModulePackage(string ListName, string PackageName, IReadOnlyList<string> Modules);

/// <summary>The split of one kernel's module tree into packages.</summary>
public sealed record ModuleSplit(string ModuleDir, string Prefix, string InstalledName, IReadOnlyList<ModulePackage> Packages);

/// <summary>
/// The heart of <c>copy-modules</c>: each module list of a kernel expanded against its module
/// tree, then completed with the modules its modules need (from modules.dep) unless a package
/// it depends on already has them. Packages are handled dependencies first, so each knows what
/// its dependencies hold.
/// <para>
/// Unlike the reference, a cycle among the package dependencies is an error naming the cycle
/// (the reference's tsort only warns, and the split it then makes is wrong).
/// </para>
/// </summary>
public static class ModuleSplitter
{
    public const string NoModulesFile = "no-modules";

    /// <summary>
    /// The split, or null when the kernel has no module directory (nothing to do, as in the reference).
    /// <paramref name="err"/> gets the reference's diagnostics (missing modules, tolerated problems).
    /// </summary>
    public static ModuleSplit? Plan(WedgeEnvironment env, string kernelVersion, string flavour, string installedName, TextWriter err)
    {
        string version = $"{kernelVersion}-{flavour}";
        string configDir = NativePath.RealPath(env.Resolve(env.ConfigDir)) ?? env.Resolve(env.ConfigDir);

        // Modules live under /usr/lib/modules or /lib/modules; the packages use the same one.
        string sourceDir = env.SourceDir ?? "";
        string prefix = "/usr";
        string moduleDir = $"{sourceDir}{prefix}/lib/modules/{installedName}";
        if (!Directory.Exists(env.Resolve(moduleDir)))
        {
            prefix = "";
            moduleDir = $"{sourceDir}/lib/modules/{installedName}";
            if (!Directory.Exists(env.Resolve(moduleDir))) return null;
        }
        string listDir = ConfigLayout.ModuleListDir(env, configDir, env.HostArch, flavour);

        var moduleDeps = ReadModuleDependencies(env, sourceDir, prefix, moduleDir, installedName, configDir, err);
        var packageDeps = PackageDependencies.For(env, flavour);
        var order = DependencyOrder(ListNames(env.Resolve(listDir)), packageDeps, listDir);

        var tree = ModuleTree.Scan(env.Resolve(moduleDir), env.IsLinux);
        var preprocessor = new ModuleListPreprocessor(env, tree, err);
        var direct = packageDeps.Where(p => p.Package != p.DependsOn).ToLookup(p => p.Package, p => p.DependsOn, StringComparer.Ordinal);
        var transitive = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var lists = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        var packages = new List<ModulePackage>();

        foreach (var name in order)
        {
            var needs = new HashSet<string>(StringComparer.Ordinal);
            foreach (var dep in direct[name])
            {
                needs.Add(dep);
                needs.UnionWith(transitive[dep]);
            }
            transitive[name] = needs;

            // Modules a package it depends on already has are not copied again.
            var elsewhere = new HashSet<string>(StringComparer.Ordinal);
            foreach (var dep in needs) elsewhere.UnionWith(lists[dep]);

            var result = preprocessor.Run($"{listDir}/{name}");
            if (ModuleListPreprocessor.ReportMissing(result, env, err))
                throw new KpkException($"{listDir}/{name}: required modules are missing", WedgeExit.Failed);

            var list = new SortedSet<string>(result.Modules, ByteOrder.Instance);
            var needed = moduleDeps.Where(d => !elsewhere.Contains(d.Needs)).ToLookup(d => d.Module, d => d.Needs, StringComparer.Ordinal);
            var work = new Queue<string>(list);
            while (work.Count > 0)
                foreach (var dep in needed[work.Dequeue()])
                    if (list.Add(dep)) work.Enqueue(dep);
            lists[name] = list;
            packages.Add(new ModulePackage(name, $"{name}-{version}-di", list.ToList()));
        }
        return new ModuleSplit(moduleDir, prefix, installedName, packages);
    }

    /// <summary>
    /// Writes the split: each package that has modules and is in debian/control gets them under
    /// debian/PACKAGE/[usr/]lib/modules/INSTALLEDNAME, and on Linux a postinst running depmod.
    /// </summary>
    public static void Write(WedgeEnvironment env, ModuleSplit split)
    {
        var nonEmpty = split.Packages.Where(p => p.Modules.Count > 0).ToList();
        if (nonEmpty.Count == 0) return;
        var built = DebianControl.Read(env).BuiltFor(env.HostArch, env.BuildProfiles, archSpecificOnly: false).ToHashSet(StringComparer.Ordinal);
        string source = env.Resolve(split.ModuleDir);
        foreach (var package in nonEmpty.Where(p => built.Contains(p.PackageName)))
        {
            string target = env.Resolve($"debian/{package.PackageName}{split.Prefix}/lib/modules/{split.InstalledName}");
            Directory.CreateDirectory(target);
            foreach (var module in package.Modules)
                TreeCopy.CopyEntry(Path.Combine(source, module), Path.Combine(target, module));
            if (env.IsLinux)
                AtomicFile.WriteAllText(env.Resolve($"debian/{package.PackageName}.postinst"), $"#!/bin/sh -e\ndepmod {split.InstalledName}\n");
        }
    }

    /// <summary>
    /// The module lists of a directory: its files and symlinks (not *.lnk), as the reference finds them.
    /// </summary>
    private static IEnumerable<string> ListNames(string listDir)
    {
        if (!Directory.Exists(listDir)) return [];
        return new DirectoryInfo(listDir).EnumerateFileSystemInfos()
            .Where(f => (f.LinkTarget != null || f is FileInfo) && !f.Name.EndsWith(".lnk", StringComparison.Ordinal))
            .Select(f => f.Name);
    }

    /// <summary>
    /// Every list and every package named by a dependency, each after the ones it depends on.
    /// A package depending on itself is harmless; a longer cycle has no right order and is an error.
    /// </summary>
    public static IReadOnlyList<string> DependencyOrder(IEnumerable<string> lists, IReadOnlyList<PackageDependency> deps, string where)
    {
        var nodes = new SortedSet<string>(lists, ByteOrder.Instance);
        foreach (var d in deps) { nodes.Add(d.Package); nodes.Add(d.DependsOn); }
        var edges = deps.Where(d => d.Package != d.DependsOn)
            .ToLookup(d => d.Package, d => d.DependsOn, StringComparer.Ordinal);

        var order = new List<string>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        var path = new List<string>();
        var onPath = new HashSet<string>(StringComparer.Ordinal);

        void Visit(string node)
        {
            if (done.Contains(node)) return;
            if (onPath.Contains(node))
            {
                var cycle = path.Skip(path.IndexOf(node)).Append(node);
                throw new KpkException($"{where}: package dependency cycle: {string.Join(" -> ", cycle)}", WedgeExit.Failed);
            }
            path.Add(node);
            onPath.Add(node);
            foreach (var dep in edges[node].OrderBy(d => d, ByteOrder.Instance)) Visit(dep);
            path.RemoveAt(path.Count - 1);
            onPath.Remove(node);
            done.Add(node);
            order.Add(node);
        }

        foreach (var node in nodes) Visit(node);
        return order;
    }

    private static IReadOnlyList<ModuleDependency> ReadModuleDependencies(WedgeEnvironment env, string sourceDir, string prefix,
        string moduleDir, string installedName, string configDir, TextWriter err)
    {
        if (!env.IsLinux) return [];
        IEnumerable<string> lines;
        if (sourceDir.Length > 0)
        {
            // An unpacked tree's modules.dep may be stale or absent: depmod computes it afresh.
            lines = ModulesDep.FromDepmod(env, env.Resolve(sourceDir + prefix), installedName, err);
        }
        else
        {
            string depFile = $"{moduleDir}/modules.dep";
            if (!File.Exists(env.Resolve(depFile)))
                throw new KpkException($"Installed kernel package is missing {depFile}", WedgeExit.Failed);
            lines = PerlText.ReadRequired(env.Resolve(depFile), depFile);
        }
        var deps = ModulesDep.Parse(lines, $"{prefix}/lib/modules/{installedName}/");
        if (deps.Count == 0 && !ConfigLayout.Exists($"{configDir}/{NoModulesFile}"))
            throw new KpkException("No module interdependencies found. This probably means your modules.dep is broken.\n" +
                                   $"If this is intentional, touch {configDir}/{NoModulesFile}", WedgeExit.Failed);
        return deps;
    }
}
