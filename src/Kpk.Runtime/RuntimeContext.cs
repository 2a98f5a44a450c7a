using Kpk.Core;

namespace Kpk.Runtime;

/// <summary>What every runtime verb works on: the root it treats as /, how modules get loaded, where progress goes.</summary>
public sealed class RuntimeContext(SystemRoot root, IModuleLoader loader, IReporter reporter, CancellationToken cancel = default)
{
    public SystemRoot Root { get; } = root;
    public IModuleLoader Loader { get; } = loader;
    public IReporter Reporter { get; } = reporter;
    public CancellationToken Cancel { get; } = cancel;
    public LivepatchSysfs Sysfs { get; } = new(root);
    public RunningKernel Kernel { get; } = new(root);
    public TaskInspector Tasks { get; } = new(root);
    public AppliedManifests Applied { get; } = new(root);

    /// <summary>How often to look at the transition attribute; tests shorten it.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);
    /// <summary>What waits measure time and sleep with; tests hand in a virtual one.</summary>
    public WaitClock Clock { get; init; } = WaitClock.System;

    public TransitionWaiter Waiter() => new(Sysfs, Tasks, Reporter) { PollInterval = PollInterval, Clock = Clock };
}

/// <summary>
/// Manifests of patches applied from tarballs, kept in /run/kpk/NAME.json so that <c>list</c> can show
/// their ids and <c>undo</c> can find a patch by id. /run is emptied at boot, as the kernel is of patches.
/// </summary>
public sealed class AppliedManifests(SystemRoot root)
{
    public string PathOf(string name) => Path.Combine(root.AppliedDir, ModuleName.Normalize(name) + ".json");

    public void Record(PatchManifest manifest)
    {
        Directory.CreateDirectory(root.AppliedDir);
        manifest.Write(PathOf(manifest.Name));
    }

    public void Forget(string name)
    {
        try { File.Delete(PathOf(name)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    public IReadOnlyList<PatchManifest> All()
    {
        if (!Directory.Exists(root.AppliedDir)) return [];
        var result = new List<PatchManifest>();
        foreach (string file in Directory.GetFiles(root.AppliedDir, "*.json").Order(StringComparer.Ordinal))
        {
            try { result.Add(PatchManifest.Read(file)); }
            catch (KpkException) { } // a damaged record only costs us the id; the kernel's sysfs is the truth
        }
        return result;
    }
}
