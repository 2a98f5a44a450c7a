using Kpk.Core;

namespace Kpk.Runtime;

/// <summary>What apply did; <c>TransitionSeconds</c> is how long the kernel took to switch every task.</summary>
public sealed record ApplyResult(string Name, string? Id, string KernelRelease, double TransitionSeconds, bool Forced);

/// <summary>
/// <c>kpk apply</c>: checks that a live patch was built for the running kernel, loads it, and waits
/// for the kernel to switch every task to the patched functions.
/// </summary>
public sealed class PatchApplier(RuntimeContext context)
{
    public ApplyResult Apply(string file, TimeSpan wait, bool force)
    {
        using var package = PatchPackage.Open(file);
        return Apply(package, wait, force);
    }

    public ApplyResult Apply(PatchPackage package, TimeSpan wait, bool force)
    {
        var module = package.Module.RequireLivepatch();
        string name = ModuleName.Normalize(module.Name);
        string release = CheckKernel(package);

        if (context.Sysfs.IsRegistered(name) || context.Sysfs.IsModuleLoaded(name))
            throw new KpkException($"{package.Source}: module {name} is already loaded{(context.Sysfs.IsLivepatchModuleLoaded(name) ? $"; kpk undo {name} first" : " and is not a live patch")}");

        if (!context.Sysfs.Supported) throw new KpkException(context.Sysfs.NoSupport);

        WarnIfUnsupported(module);
        context.Reporter.Stage($"loading {name}");
        context.Loader.Load(module.Path);
        if (!context.Sysfs.IsRegistered(name))
            throw new KpkException($"{package.Source}: module {name} loaded but {context.Root.LivepatchDir(name)} did not appear; the module did not register a live patch");
        if (package.Manifest != null) TryRecord(package.Manifest);

        context.Reporter.Stage($"waiting for the transition of {name}");
        var waiter = context.Waiter();
        TransitionResult result;
        try { result = waiter.WaitSignalling(name, patching: true, wait, context.Cancel); }
        catch (OperationCanceledException)
        {
            // Reversing a transition half-way is itself a transition; leave that choice to the user.
            context.Reporter.Warning($"{name} stays loaded (transition: {context.Sysfs.Transition(name)}); 'kpk undo {name}' removes it");
            throw;
        }
        bool forced = false;
        if (!result.Finished)
        {
            string blockers = TransitionWaiter.Describe(result.Blocking);
            if (!force)
                throw new KpkException(
                    $"{name}: the transition did not finish in {wait.TotalSeconds:0.#}s{AfterSignal(result, wait)}; {blockers}. " +
                    $"The patch stays loaded and the kernel keeps trying; 'kpk undo {name}' reverses it, 'kpk apply --force' forces it.");
            context.Reporter.Warning($"{name}: forcing the transition ({blockers}). Those tasks may still run the old functions, and the module can no longer be unloaded; plan a reboot.");
            context.Sysfs.Force(name);
            forced = true;
            result = waiter.Wait(name, patching: true, wait, context.Cancel);
            if (!result.Finished)
                throw new KpkException($"{name}: still in transition after writing 1 to force; {TransitionWaiter.Describe(result.Blocking)}");
        }
        context.Reporter.Info($"{name}: applied to {release}{(package.Id != null ? $" (id {package.Id})" : "")}");
        return new ApplyResult(name, package.Id, release, Math.Round(result.Elapsed.TotalSeconds, 3), forced);
    }

    /// <summary>
    /// A SUSE kernel at <c>unsupported=0</c> refuses a module without a supported tag; say so before
    /// insmod fails with the kernel's bare "Operation not permitted".
    /// </summary>
    private void WarnIfUnsupported(LivePatchModule module)
    {
        if (ModuleSupport.ReadKernelSetting(context.Root) is not int setting) return; // not a SUSE kernel
        var outcome = ModuleSupport.Kernel(module.Support, setting);
        if (!outcome.Loads)
            context.Reporter.Warning($"{module.Path}: the running kernel refuses unsupported modules ({ModuleSupport.KernelSettingFile} is {setting}) " +
                                     $"and {module.Name} has no supported: yes or external tag; build it with kpk create --supported yes|external");
    }

    /// <summary>", nor in 60s more after signalling the tasks" when they were signalled.</summary>
    internal static string AfterSignal(TransitionResult result, TimeSpan wait) =>
        result.Signalled ? $", nor in {wait.TotalSeconds:0.#}s more after signalling the tasks" : "";

    /// <summary>The module must be for the running release, and the tarball for the running vmlinux when its build id can be read.</summary>
    private string CheckKernel(PatchPackage package)
    {
        string running = context.Kernel.Release;
        string built = package.Module.KernelRelease!;
        if (built != running)
            throw new KpkException($"{package.Source}: built for kernel {built} (vermagic \"{package.Module.Vermagic}\") but the running kernel is {running}");
        if (package.Manifest?.VmlinuxBuildId is { } expected)
        {
            string? actual = context.Kernel.BuildId;
            if (actual == null)
                context.Reporter.Warning($"cannot read the running kernel's build id from {context.Root.Resolve("/sys/kernel/notes")}; checked the release only");
            else if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                throw new KpkException($"{package.Source}: built for vmlinux build id {expected} but the running kernel's is {actual} (same release {running}, different build)");
        }
        return running;
    }

    private void TryRecord(PatchManifest manifest)
    {
        try { context.Applied.Record(manifest); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or KpkException)
        {
            context.Reporter.Warning($"cannot record the manifest in {context.Root.AppliedDir}: {e.Message}; 'kpk list' will not show its id");
        }
    }
}

public sealed record UndoResult(string Name, bool WasEnabled, double TransitionSeconds);

/// <summary><c>kpk undo</c>: disables a live patch, waits for every task to leave it, and unloads the module.</summary>
public sealed class PatchRemover(RuntimeContext context)
{
    private static readonly TimeSpan FreeTimeout = TimeSpan.FromSeconds(5);

    public UndoResult Undo(string nameOrId, TimeSpan wait)
    {
        string name = Resolve(nameOrId);
        bool registered = context.Sysfs.IsRegistered(name);
        bool wasEnabled = false;
        TimeSpan elapsed = TimeSpan.Zero;
        if (registered)
        {
            wasEnabled = context.Sysfs.Enabled(name) == true;
            if (wasEnabled)
            {
                context.Reporter.Stage($"disabling {name}");
                context.Sysfs.SetEnabled(name, false);
            }
            context.Reporter.Stage($"waiting for the transition of {name}");
            TransitionResult result;
            try { result = context.Waiter().WaitSignalling(name, patching: false, wait, context.Cancel); }
            catch (OperationCanceledException)
            {
                context.Reporter.Warning($"{name} is disabled and stays loaded; 'kpk undo {name}' again unloads it");
                throw;
            }
            if (!result.Finished)
                throw new KpkException($"{name}: disabled, but the transition did not finish in {wait.TotalSeconds:0.#}s{PatchApplier.AfterSignal(result, wait)}; {TransitionWaiter.Describe(result.Blocking)}. " +
                                       $"The module stays loaded; run 'kpk undo {name}' again later to unload it.");
            elapsed = result.Elapsed;
            // The kernel frees a disabled patch from a work item, dropping its hold on the module only
            // then; rmmod before that fails with "in use". The directory going away marks the moment.
            TimeSpan freeing = context.Clock.Now;
            while (context.Sysfs.IsRegistered(name) && context.Clock.Now - freeing < FreeTimeout)
            {
                context.Cancel.ThrowIfCancellationRequested();
                context.Clock.Sleep(context.PollInterval);
            }
        }
        context.Reporter.Stage($"unloading {name}");
        try { context.Loader.Unload(name); }
        catch (KpkException e)
        {
            throw new KpkException($"{name}: cannot unload: {e.Message} (a patch whose transition was forced can never be unloaded)", e.ExitCode, e);
        }
        context.Applied.Forget(name);
        context.Reporter.Info($"{name}: removed");
        return new UndoResult(name, wasEnabled, Math.Round(elapsed.TotalSeconds, 3));
    }

    /// <summary>A module name as given (with '-' or '_'), or the id of a patch applied or installed from a tarball.</summary>
    private string Resolve(string nameOrId)
    {
        string name = ModuleName.Normalize(nameOrId);
        if (context.Sysfs.IsLivepatchModuleLoaded(name)) return name;
        var byId = context.Applied.All().Concat(new InstalledPatches(context).All().Select(p => p.Manifest).OfType<PatchManifest>())
            .FirstOrDefault(m => m.Id == nameOrId);
        if (byId != null && context.Sysfs.IsLivepatchModuleLoaded(ModuleName.Normalize(byId.Name)))
            return ModuleName.Normalize(byId.Name);
        if (context.Sysfs.IsModuleLoaded(name))
            throw new KpkException($"module {name} is loaded but is not a live patch (no K in {context.Root.SysModule(name)}/taint); kpk undo only removes live patches");
        var loaded = context.Sysfs.List().Select(p => p.Name).ToList();
        throw new KpkException($"no live patch {nameOrId} is loaded{(byId != null ? $" (id {nameOrId} is module {byId.Name})" : "")}; " +
                               (loaded.Count == 0 ? "no live patch is loaded" : "loaded: " + string.Join(", ", loaded)));
    }
}
