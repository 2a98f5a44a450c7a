using Kpk.Core;

namespace Kpk.Runtime;

/// <summary>A live patch installed under /lib/modules/RELEASE/updates/kpk/, loaded at boot when RELEASE runs.</summary>
public sealed record InstalledPatch(string Name, string Release, string Path, PatchManifest? Manifest)
{
    public string? Id => Manifest?.Id;
}

/// <summary>
/// <c>kpk install</c>, <c>uninstall</c> and <c>load-installed</c>: modules are kept per kernel release in
/// /lib/modules/RELEASE/updates/kpk/NAME.ko (with NAME.json, the manifest, when installed from a
/// tarball), and a systemd unit runs <c>kpk load-installed</c> at boot, which applies those for the
/// running release and skips the others.
/// </summary>
public sealed class InstalledPatches(RuntimeContext context)
{
    private SystemRoot Root => context.Root;

    public IReadOnlyList<InstalledPatch> All()
    {
        string modules = Root.Resolve("/lib/modules");
        if (!Directory.Exists(modules)) return [];
        var result = new List<InstalledPatch>();
        foreach (string releaseDir in Directory.GetDirectories(modules).Order(StringComparer.Ordinal))
        {
            string release = System.IO.Path.GetFileName(releaseDir);
            string dir = Root.InstalledDir(release);
            if (!Directory.Exists(dir)) continue;
            foreach (string ko in Directory.GetFiles(dir, "*.ko").Order(StringComparer.Ordinal))
            {
                string json = System.IO.Path.ChangeExtension(ko, ".json");
                PatchManifest? manifest = null;
                if (File.Exists(json))
                {
                    try { manifest = PatchManifest.Read(json); }
                    catch (KpkException e) { context.Reporter.Warning(e.Message); }
                }
                result.Add(new InstalledPatch(System.IO.Path.GetFileNameWithoutExtension(ko), release, ko, manifest));
            }
        }
        return result;
    }

    public InstalledPatch Install(string file, string kpkExecutable)
    {
        using var package = PatchPackage.Open(file);
        var module = package.Module.RequireLivepatch();
        string name = ModuleName.Normalize(module.Name);
        string release = module.KernelRelease!;
        if (!Directory.Exists(Root.ModulesDir(release)))
            context.Reporter.Warning($"{Root.ModulesDir(release)} does not exist: kernel {release} is not installed here; the patch loads only when it runs");
        string dir = Root.InstalledDir(release);
        Directory.CreateDirectory(dir);
        string target = System.IO.Path.Combine(dir, name + ".ko");
        string manifestPath = System.IO.Path.ChangeExtension(target, ".json");
        AtomicFile.WriteAllBytes(target, package.ReadModule());
        if (package.Manifest != null) package.Manifest.Write(manifestPath);
        else if (File.Exists(manifestPath)) File.Delete(manifestPath); // a stale manifest would lie about the new module
        new KpkUnit(Root).Install(kpkExecutable);
        context.Reporter.Info($"installed {name} for {release}: {target}");
        return new InstalledPatch(name, release, target, package.Manifest);
    }

    /// <summary>
    /// Removes every installed copy of the patch (all releases, or only <paramref name="release"/>'s).
    /// Does not unload it: that is <c>kpk undo</c>.
    /// </summary>
    public IReadOnlyList<InstalledPatch> Uninstall(string nameOrId, string? release = null)
    {
        string name = ModuleName.Normalize(nameOrId);
        var all = All();
        var matches = all.Where(p => (ModuleName.Normalize(p.Name) == name || p.Id == nameOrId) && (release == null || p.Release == release)).ToList();
        if (matches.Count == 0)
            throw new KpkException($"no installed live patch {nameOrId}; " +
                                   (all.Count == 0 ? "none is installed" : "installed: " + string.Join(", ", all.Select(p => $"{p.Name} ({p.Release})"))));
        foreach (var patch in matches)
        {
            File.Delete(patch.Path);
            File.Delete(System.IO.Path.ChangeExtension(patch.Path, ".json"));
            string dir = System.IO.Path.GetDirectoryName(patch.Path)!;
            if (!Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
            context.Reporter.Info($"uninstalled {patch.Name} for {patch.Release}");
            if (context.Sysfs.IsModuleLoaded(patch.Name))
                context.Reporter.Info($"{patch.Name} is still loaded; 'kpk undo {patch.Name}' removes it from the running kernel");
        }
        if (All().Count == 0) new KpkUnit(Root).Remove();
        return matches;
    }

    /// <summary>What the boot unit runs: applies the patches installed for the running release, oldest first.</summary>
    public LoadInstalledResult LoadInstalled(TimeSpan wait)
    {
        string release = context.Kernel.Release;
        var all = All();
        var others = all.Where(p => p.Release != release).ToList();
        if (others.Count > 0)
            context.Reporter.Detail($"skipping {others.Count} patch(es) for other kernel releases: {string.Join(", ", others.Select(p => $"{p.Name} ({p.Release})"))}");
        // A cumulative (replace) patch must come after the ones it replaces: load in the order they were made.
        var mine = all.Where(p => p.Release == release)
            .OrderBy(p => p.Manifest?.Created ?? new DateTimeOffset(File.GetLastWriteTimeUtc(p.Path)))
            .ThenBy(p => p.Name, StringComparer.Ordinal).ToList();
        var applied = new List<string>();
        var skipped = new List<string>();
        var failed = new List<string>();
        var applier = new PatchApplier(context);
        foreach (var patch in mine)
        {
            if (context.Sysfs.IsModuleLoaded(patch.Name) || context.Sysfs.IsRegistered(patch.Name))
            {
                context.Reporter.Info($"{patch.Name}: already loaded");
                skipped.Add(patch.Name);
                continue;
            }
            try
            {
                using var package = PatchPackage.FromInstalled(patch.Path, patch.Manifest);
                applier.Apply(package, wait, force: false);
                applied.Add(patch.Name);
            }
            catch (KpkException e)
            {
                context.Reporter.Warning(e.Message);
                failed.Add(patch.Name);
            }
        }
        var result = new LoadInstalledResult(release, applied, skipped, failed, others.Select(p => $"{p.Name} ({p.Release})").ToList());
        if (failed.Count > 0)
            throw new KpkException($"{failed.Count} of {mine.Count} installed live patch(es) for {release} failed to load: {string.Join(", ", failed)}");
        return result;
    }
}

public sealed record LoadInstalledResult(string Release, IReadOnlyList<string> Applied, IReadOnlyList<string> AlreadyLoaded,
    IReadOnlyList<string> Failed, IReadOnlyList<string> OtherReleases);

/// <summary>
/// The systemd unit that applies installed patches at boot. The kpk package ships it in
/// /usr/lib/systemd/system (<see cref="Render"/> with /usr/bin/kpk, made by scripts/build-deb);
/// <c>kpk install</c> then only enables it, as systemctl enable would (a wants/ link). Run from a
/// checkout, kpk install writes its own copy to /etc/systemd/system with that checkout's kpk.
/// </summary>
public sealed class KpkUnit(SystemRoot root)
{
    public const string FileName = "kpk.service";
    public const string WantedBy = "multi-user.target";
    public const string PackagedPath = "/usr/lib/systemd/system/" + FileName;
    public const string LocalPath = "/etc/systemd/system/" + FileName;
    /// <summary>On the kernel command line, skips the unit for one boot (a patch that hangs the boot can be got past).</summary>
    public const string SkipSwitch = "kpk.skip";

    /// <summary>
    /// Ordered as kpatch.service is: without the default dependencies and before network-pre.target,
    /// so a fix reaches the kernel before the network does; after the local file systems, which
    /// hold /lib/modules. It runs only when a patch is installed for the running release (%v).
    /// </summary>
    public static string Render(string kpkExecutable, string origin = "kpk install") => $"""
        # Installed by {origin}: applies the live patches in /lib/modules/$(uname -r)/updates/kpk at boot.
        # Boot with {SkipSwitch} on the kernel command line to skip it.
        [Unit]
        Description=Apply kpk live patches installed for the running kernel
        Documentation=man:kpk-load-installed(8)
        ConditionKernelCommandLine=!{SkipSwitch}
        ConditionDirectoryNotEmpty=/lib/modules/%v/updates/kpk
        DefaultDependencies=no
        After=local-fs.target systemd-modules-load.service
        Before=network-pre.target shutdown.target
        Wants=network-pre.target
        Conflicts=shutdown.target

        [Service]
        Type=oneshot
        RemainAfterExit=yes
        ExecStart={kpkExecutable} load-installed

        [Install]
        WantedBy={WantedBy}

        """;

    /// <summary>Whether the kpk package's unit is installed (then it is the one enabled).</summary>
    public bool IsPackaged => File.Exists(root.Resolve(PackagedPath));

    public void Install(string kpkExecutable)
    {
        string target = PackagedPath;
        if (!IsPackaged)
        {
            if (!Path.IsPathRooted(kpkExecutable))
                throw new KpkException($"the boot unit needs an absolute path to kpk, not {kpkExecutable}");
            Directory.CreateDirectory(Path.GetDirectoryName(root.SystemdUnit)!);
            AtomicFile.WriteAllText(root.SystemdUnit, Render(kpkExecutable));
            target = LocalPath;
        }
        string link = root.SystemdWantsLink;
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        if (new FileInfo(link).LinkTarget != target)
        {
            if (new FileInfo(link).LinkTarget != null || File.Exists(link)) File.Delete(link);
            // Absolute, as systemctl enable makes it: it must resolve on the target system, not inside --root.
            File.CreateSymbolicLink(link, target);
        }
    }

    /// <summary>Disables the unit kpk install wrote; the packaged unit stays enabled (it is idle without patches).</summary>
    public void Remove()
    {
        if (IsPackaged && new FileInfo(root.SystemdWantsLink).LinkTarget == PackagedPath) return;
        foreach (string path in new[] { root.SystemdWantsLink, root.SystemdUnit })
            if (new FileInfo(path).LinkTarget != null || File.Exists(path)) File.Delete(path);
    }
}
