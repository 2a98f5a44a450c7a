using Kpk.Core;

namespace Kpk.Runtime.WeakUpdates;

public sealed record WeakUpdatesOptions
{
    public bool DryRun { get; init; }
    /// <summary>Runs depmod for each changed kernel; null leaves depmod out (tests of the links alone).</summary>
    public Depmod? Depmod { get; init; }
}

/// <summary>
/// What SUSE's weak-modules2 does for kernel module packages, without rpm: a module installed in
/// <c>/lib/modules/R/updates/</c> is linked from <c>/lib/modules/K/weak-updates/</c> of every other
/// kernel K it is compatible with. Every operation brings the affected kernels' weak-updates/ to the
/// one right state (<see cref="Reconcile"/>): compatible modules linked, nothing dangling or stale.
/// </summary>
public sealed class WeakUpdater(SystemRoot root, WeakUpdatesOptions options, IReporter reporter)
{
    /// <summary>A new kernel: link every compatible module of the other kernels into it.</summary>
    public void AddKernel(string release)
    {
        var kernel = new InstalledKernel(root, release);
        if (!kernel.Exists) throw new KpkException($"{kernel.Directory}: no such directory; kernel {release} is not installed");
        Finish(Reconcile(kernel, Excluded.None) ? [kernel] : []);
    }

    /// <summary>A kernel going away: its weak-updates/ goes, and links of other kernels into it that would dangle.</summary>
    public void RemoveKernel(string release)
    {
        var kernel = new InstalledKernel(root, release);
        var changed = new List<InstalledKernel>();
        if (Directory.Exists(kernel.WeakUpdates))
        {
            reporter.Info($"{release}: removing {InstalledKernel.WeakUpdatesDir}/");
            if (!options.DryRun) Directory.Delete(kernel.WeakUpdates, recursive: true);
        }
        if (kernel.Exists && !Directory.EnumerateFileSystemEntries(kernel.Directory).Any())
        {
            reporter.Info($"{release}: removing the empty {kernel.Directory}");
            if (!options.DryRun) Directory.Delete(kernel.Directory);
        }
        foreach (var other in InstalledKernel.All(root).Where(k => k.Release != release))
            if (Reconcile(other, Excluded.None)) changed.Add(other);
        Finish(changed);
    }

    /// <summary>Modules just installed in some kernel's updates/ (paths inside the root): offer them to every other kernel.</summary>
    public void AddModules(IEnumerable<string> paths)
    {
        var modules = ParseModulePaths(paths, mustExist: true);
        var owners = modules.Select(m => m.Release).ToHashSet(StringComparer.Ordinal);
        Finish(InstalledKernel.All(root).Where(k => !owners.Contains(k.Release) && Reconcile(k, Excluded.None)).ToList());
    }

    /// <summary>Modules removed (or about to be) from some kernel's updates/: their links go, and another version may take their place.</summary>
    public void RemoveModules(IEnumerable<string> paths)
    {
        var modules = ParseModulePaths(paths, mustExist: false);
        var excluded = new Excluded(modules.Select(m => m.InRootPath).ToHashSet(StringComparer.Ordinal));
        Finish(InstalledKernel.All(root).Where(k => Reconcile(k, excluded)).ToList());
    }

    /// <summary>Module files (their links' targets) left out of a reconciliation: they are being removed.</summary>
    private sealed record Excluded(IReadOnlySet<string> Targets)
    {
        public static Excluded None { get; } = new(new HashSet<string>());
    }

    private List<UpdateModule> ParseModulePaths(IEnumerable<string> paths, bool mustExist)
    {
        var result = new List<UpdateModule>();
        foreach (string raw in paths.Select(p => p.Trim()).Where(p => p.Length > 0))
        {
            // /lib/modules/RELEASE/updates/..., as a package lists its files (a /usr prefix is usrmerge's).
            string path = raw.StartsWith("/usr/lib/modules/", StringComparison.Ordinal) ? raw[4..] : raw;
            var parts = path.Split('/');
            if (!path.StartsWith("/lib/modules/", StringComparison.Ordinal) || parts.Length < 6 || parts[4] != InstalledKernel.UpdatesDir
                || parts.Any(p => p is ".." or ".") || !InstalledKernel.IsModuleFile(path))
                throw new KpkException($"{raw}: not a module below /lib/modules/RELEASE/{InstalledKernel.UpdatesDir}/ " +
                                       "(weak-updates links only modules of module packages, never kernel/ or weak-updates/)");
            var kernel = new InstalledKernel(root, parts[3]);
            string relative = string.Join('/', parts[4..]);
            var module = new UpdateModule(kernel.Release, relative, Path.Combine(kernel.Directory, relative));
            if (mustExist && !File.Exists(module.FullPath)) throw new KpkException($"{raw}: no such module ({module.FullPath})");
            result.Add(module);
        }
        if (result.Count == 0) throw new KpkException("no module paths on standard input (one /lib/modules/RELEASE/updates/... path a line)");
        return result;
    }

    /// <summary>
    /// Makes <paramref name="kernel"/>'s weak-updates/ hold exactly the links it should: for each
    /// module file name, the newest kernel's compatible copy, unless the kernel has that module in
    /// its own updates/. Says for every module why it is linked or not. True if anything changed.
    /// </summary>
    private bool Reconcile(InstalledKernel kernel, Excluded excluded)
    {
        var verdicts = Judge(kernel, excluded);
        foreach (var v in verdicts) reporter.Info(v.ToString());
        var wanted = verdicts.Where(v => v.Compatible)
            .ToDictionary(v => Path.Combine(kernel.WeakUpdates, v.Module.RelativePath), v => v.Module.FullPath);
        bool changed = RemoveUnwanted(kernel, wanted, verdicts);
        foreach (var (link, module) in wanted.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            // Relative, so the link is right both in the root and once the root is mounted as / (depmod -b
            // does not follow absolute links into the root); an absolute one weak-modules2 made is rewritten.
            string target = Path.GetRelativePath(Path.GetDirectoryName(link)!, module);
            if (new FileInfo(link).LinkTarget == target) continue;
            reporter.Info($"{kernel.Release}: linking {Path.GetRelativePath(kernel.Directory, link)} -> {target}");
            changed = true;
            if (!options.DryRun) CreateLink(link, target);
        }
        return changed;
    }

    private List<Verdict> Judge(InstalledKernel kernel, Excluded excluded)
    {
        var own = kernel.Updates.ToDictionary(m => m.FileName, StringComparer.Ordinal);
        // Candidates by file name, the newest kernel's first: only one copy of a module can be linked.
        var groups = InstalledKernel.All(root)
            .Where(k => k.Release != kernel.Release)
            .SelectMany(k => k.Updates)
            .Where(m => !excluded.Targets.Contains(m.InRootPath))
            .GroupBy(m => m.FileName, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToList();
        var verdicts = new Dictionary<UpdateModule, Verdict>();
        var open = new List<List<UpdateModule>>();
        foreach (var group in groups)
        {
            var queue = new List<UpdateModule>();
            foreach (var m in group)
            {
                string? reason = own.TryGetValue(m.FileName, out var mine) ? $"{kernel.Release} has its own {mine.RelativePath}"
                    : m.Symbols.Info.KernelRelease is { } built && new InstalledKernel(root, built).Flavor != kernel.Flavor
                        ? $"built for flavour {new InstalledKernel(root, built).Flavor} ({built}), {kernel.Release} is {kernel.Flavor}"
                    : kernel.Symvers == null ? $"no symvers for {kernel.Release} (looked for {string.Join(", ", kernel.SymversCandidates)})"
                    : null;
                if (reason != null) verdicts[m] = new Verdict(m, kernel, false, reason);
                else queue.Add(m);
            }
            if (queue.Count > 0) open.Add(queue);
        }
        // Each name's first remaining candidate is "in"; a candidate that fails (perhaps because a module
        // it needs just dropped out) gives way to the next, until nothing changes.
        for (bool again = true; again;)
        {
            again = false;
            var chosen = open.Where(q => q.Count > 0).Select(q => q[0]).ToList();
            var pool = new SymbolPool(kernel, kernel.Updates.Concat(chosen), verdicts.Keys);
            foreach (var queue in open.Where(q => q.Count > 0))
            {
                var m = queue[0];
                if (pool.FirstMismatch(m.Symbols) is not { } why) continue;
                verdicts[m] = new Verdict(m, kernel, false, why);
                queue.RemoveAt(0);
                again = true;
            }
        }
        foreach (var queue in open.Where(q => q.Count > 0))
        {
            var winner = queue[0];
            var s = winner.Symbols;
            verdicts[winner] = new Verdict(winner, kernel, true,
                $"all {s.Imports.Count} symbols it imports are exported{(s.HasVersions ? " with the same CRC" : " (no __versions: names only)")}");
            foreach (var loser in queue.Skip(1))
                verdicts[loser] = new Verdict(loser, kernel, false, $"{winner.InRootPath} is linked for {loser.FileName} instead");
        }
        return groups.SelectMany(g => g).Where(verdicts.ContainsKey).Select(m => verdicts[m]).ToList();
    }

    /// <summary>Removes links that are dangling, stale (their module no longer fits) or not the chosen copy.</summary>
    private bool RemoveUnwanted(InstalledKernel kernel, Dictionary<string, string> wanted, List<Verdict> verdicts)
    {
        if (!Directory.Exists(kernel.WeakUpdates)) return false;
        bool changed = false;
        foreach (string entry in Directory.EnumerateFileSystemEntries(kernel.WeakUpdates, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList())
        {
            var info = new FileInfo(entry);
            if (info.LinkTarget is not { } target)
            {
                if (!Directory.Exists(entry)) reporter.Warning($"{entry}: not a link; kpk leaves files it did not make");
                continue;
            }
            string resolved = ResolveLink(entry);
            if (wanted.TryGetValue(entry, out string? want) && want == resolved && File.Exists(resolved)) continue;
            string why = !File.Exists(resolved) ? "dangling: its target is gone"
                : verdicts.FirstOrDefault(v => v.Module.FullPath == resolved) is { Compatible: false } v ? "stale: " + v.Reason
                : "not the module chosen for this name";
            reporter.Info($"{kernel.Release}: removing {Path.GetRelativePath(kernel.Directory, entry)} -> {target} ({why})");
            changed = true;
            if (!options.DryRun) File.Delete(entry);
        }
        if (!options.DryRun) RemoveEmptyDirectories(kernel.WeakUpdates, keep: true);
        return changed;
    }

    private static void RemoveEmptyDirectories(string dir, bool keep)
    {
        foreach (string sub in Directory.GetDirectories(dir)) RemoveEmptyDirectories(sub, keep: false);
        if (!keep && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
    }

    /// <summary>Where a link in the root leads, as a path on this machine: absolute targets (weak-modules2 makes those) mean the root's.</summary>
    private string ResolveLink(string link)
    {
        string target = new FileInfo(link).LinkTarget!;
        return Path.GetFullPath(target.StartsWith('/') ? root.Resolve(target) : Path.Combine(Path.GetDirectoryName(link)!, target));
    }

    /// <summary>A link made beside its place and renamed over it: a reader never finds the name missing or half made.</summary>
    private static void CreateLink(string link, string target)
    {
        string dir = Path.GetDirectoryName(link)!;
        Directory.CreateDirectory(dir);
        if (Directory.Exists(link) && new FileInfo(link).LinkTarget == null)
            throw new KpkException($"{link}: a directory is in the way of the link");
        string temp = Path.Combine(dir, $".kpk-{Guid.NewGuid():N}.tmp");
        File.CreateSymbolicLink(temp, target);
        try { File.Move(temp, link, overwrite: true); }
        catch { File.Delete(temp); throw; }
    }

    /// <summary>depmod's search order first, then depmod itself for each kernel whose links changed.</summary>
    private void Finish(IReadOnlyList<InstalledKernel> changed)
    {
        DepmodSearchOrder.Ensure(root, options.DryRun, reporter);
        if (changed.Count == 0) reporter.Info("no links changed");
        foreach (var kernel in changed.Where(k => k.Exists))
            options.Depmod?.Run(root, kernel.Release, options.DryRun, reporter);
    }
}
