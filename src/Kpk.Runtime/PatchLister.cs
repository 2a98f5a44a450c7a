using Kpk.Core;

namespace Kpk.Runtime;

/// <summary>
/// What <c>kpk list</c> shows: the patches in the kernel, and the installed ones. <paramref name="LivepatchSupported"/>
/// is false for a kernel without CONFIG_LIVEPATCH, which can have no loaded patch however empty the list.
/// </summary>
public sealed record PatchListing(string Release, string? BuildId, bool LivepatchSupported, IReadOnlyList<LoadedPatch> Loaded, IReadOnlyList<InstalledListing> Installed);

public sealed record InstalledListing(string Name, string Release, string Path, string? Id, bool Loaded, bool ForRunningKernel);

public sealed class PatchLister(RuntimeContext context)
{
    public PatchListing List()
    {
        string release = context.Kernel.Release;
        var ids = context.Applied.All().ToDictionary(m => ModuleName.Normalize(m.Name), m => m.Id);
        var loaded = context.Sysfs.List().Select(p => p with { Id = ids.GetValueOrDefault(p.Name) }).ToList();
        var installed = new InstalledPatches(context).All().Select(p => new InstalledListing(
            p.Name, p.Release, p.Path, p.Id,
            Loaded: p.Release == release && (context.Sysfs.IsRegistered(p.Name) || context.Sysfs.IsModuleLoaded(p.Name)),
            ForRunningKernel: p.Release == release)).ToList();
        return new PatchListing(release, context.Kernel.BuildId, context.Sysfs.Supported, loaded, installed);
    }
}
