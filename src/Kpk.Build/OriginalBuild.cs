using System.Diagnostics;
using Kpk.Core;

namespace Kpk.Build;

/// <summary>
/// Stage 3 of <c>kpk create</c>: the original objects, built with the function and data section
/// flags in a cache entry (a hard-linked shadow of the source, never the user's tree, and an O=
/// build directory). How is the one choice of this stage: <see cref="PreparedOriginalBuild"/>
/// (configure and prepare the tree once, then compile only the objects the change can affect)
/// or <see cref="FullOriginalBuild"/> (build the whole kernel once, as kpatch-build does).
/// </summary>
public abstract class OriginalBuild(CreateContext ctx)
{
    protected CreateContext Ctx { get; } = ctx;
    public CacheEntry Entry { get; protected set; } = null!;
    /// <summary>The shadow's real path, as kbuild records it in dependency lists.</summary>
    public string RealShadow { get; protected set; } = "";

    /// <summary>Makes (or finds) the cache entry. True when it was already there.</summary>
    public abstract bool Prepare(BuildCache cache, string fingerprint, string compilerId);

    /// <summary>The objects the change can affect, each with the vmlinux or module it belongs to.</summary>
    public abstract IReadOnlyList<PlannedObject> Plan(ChangeSet change);

    /// <summary>Makes sure the planned originals are built; returns the plan trimmed to the objects that really depend on the change.</summary>
    public virtual IReadOnlyList<PlannedObject> CompileOriginals(IReadOnlyList<PlannedObject> plan, ChangeSet change) => plan;

    protected CacheEntryInfo NewInfo(string fingerprint, string compilerId) => new()
    {
        Source = Ctx.Kernel.Source,
        SourceFingerprint = fingerprint,
        ConfigSha256 = SourceFingerprint.HashFile(Ctx.Kernel.ConfigFile),
        Compiler = compilerId,
        KpkVersion = KpkVersion.Current,
    };

    protected string Key(string kind, string fingerprint, string compilerId) =>
        kind + "-" + SourceFingerprint.Hash(kind, fingerprint, SourceFingerprint.HashFile(Ctx.Kernel.ConfigFile), compilerId, Ctx.Make.Cc ?? "",
            Ctx.Make.CrossCompile ?? "", Ctx.Make.Llvm ? "LLVM=1" : "", Ctx.Kernel.Release ?? "", KpkVersion.Current, KbuildMake.KernelCFlags)[..16];

    /// <summary>A shadow of the source in the entry, kpk-patch.h in its include/, the config in its build directory, configured.</summary>
    protected void ShadowAndConfigure(bool exists)
    {
        if (!exists)
        {
            Ctx.Reporter.Stage($"making a hard-linked shadow of {Ctx.Kernel.Source} in the cache");
            ShadowTree.Create(Ctx.Kernel.Source, Entry.SourceDir, [], Ctx.Cancel);
        }
        RealShadow = Ctx.RealPath(Entry.SourceDir);
        KpkInstallation.InstallHeader(Entry.SourceDir);
        Directory.CreateDirectory(Entry.ObjDir);
        string objConfig = Path.Combine(Entry.ObjDir, ".config");
        string configHash = SourceFingerprint.HashFile(Ctx.Kernel.ConfigFile);
        // .config.kpk records which config the build directory was configured from (olddefconfig may rewrite .config).
        string stamp = objConfig + ".kpk";
        if (!File.Exists(stamp) || File.ReadAllText(stamp) != configHash)
        {
            File.Copy(Ctx.Kernel.ConfigFile, objConfig, overwrite: true);
            Ctx.Reporter.Stage($"configuring the kernel build (olddefconfig) with {Ctx.Kernel.ConfigFile}");
            var r = Ctx.Make.Kernel(Entry, ["olddefconfig"], Entry.LogFile);
            if (!r.Ok) throw Ctx.BuildFailure("configuring the original kernel", Entry.LogFile);
            File.WriteAllText(stamp, configHash);
        }
    }
}

/// <summary>The whole original kernel, built once (vmlinux and modules, or the --target list).</summary>
public sealed class FullOriginalBuild(CreateContext ctx, string why) : OriginalBuild(ctx)
{
    public override bool Prepare(BuildCache cache, string fingerprint, string compilerId)
    {
        Entry = cache.Entry(Key("full", fingerprint, compilerId));
        Entry.RecoverIfNeeded(Ctx.Reporter);
        var targets = Targets();
        var info = Entry.Exists ? Entry.ReadInfo() : null;
        if (info != null && targets.All(info.BuiltTargets.Contains))
        {
            Ctx.Reporter.Info($"reusing the cached original build {Entry.Directory} ({string.Join(' ', targets)})");
            RealShadow = Ctx.RealPath(Entry.SourceDir);
            return true;
        }
        Ctx.Reporter.Info($"building the whole original kernel: {why}");
        bool exists = Entry.Exists;
        info ??= NewInfo(fingerprint, compilerId);
        Directory.CreateDirectory(Entry.Directory);
        Entry.WriteInfo(info with { BuiltTargets = [] }); // incomplete until the build succeeds
        ShadowAndConfigure(exists);
        Ctx.Reporter.Stage($"building the original kernel ({string.Join(' ', targets)}, {KbuildMake.KernelCFlags}); log: {Entry.LogFile}");
        var watch = Stopwatch.StartNew();
        var progress = new MakeProgress(Ctx.Reporter, "original build");
        var build = Ctx.Make.Kernel(Entry, targets, Entry.LogFile, onLine: progress.Line);
        if (!build.Ok) throw Ctx.BuildFailure("building the original kernel", Entry.LogFile);
        Ctx.Reporter.Info($"original build done in {ElapsedTime.Format(watch.Elapsed)}");
        Entry.WriteInfo(info with { BuiltTargets = info.BuiltTargets.Union(targets).ToList() });
        return false;
    }

    private IReadOnlyList<string> Targets()
    {
        if (Ctx.Request.Targets.Count > 0) return Ctx.Request.Targets;
        var targets = new List<string> { "vmlinux" };
        if (Kbuild.ConfigValue(Ctx.Kernel.ConfigFile, "CONFIG_MODULES") == "y") targets.Add("modules");
        return targets;
    }

    public override IReadOnlyList<PlannedObject> Plan(ChangeSet change) =>
        ObjectPlanner.FromRecords(Entry.ObjDir, RealShadow, change.TouchedFiles, Ctx.Cancel);
}

/// <summary>
/// The kernel build configured and prepared once (olddefconfig, modules_prepare: generated
/// headers, objtool, modpost; the kernel's Module.symvers copied in), then only the objects the
/// change can affect compiled, original and patched. Which objects: from the user's build
/// directory's kbuild records when it has them, else from kbuild itself (<c>make -n</c> of the
/// directories of the files that include a changed header).
/// </summary>
public sealed class PreparedOriginalBuild(CreateContext ctx) : OriginalBuild(ctx)
{
    private const string PreparedTarget = "modules_prepare";

    public override bool Prepare(BuildCache cache, string fingerprint, string compilerId)
    {
        Entry = cache.Entry(Key("prepared", fingerprint, compilerId));
        Entry.RecoverIfNeeded(Ctx.Reporter);
        var info = Entry.Exists ? Entry.ReadInfo() : null;
        if (info != null && info.BuiltTargets.Contains(PreparedTarget))
        {
            Ctx.Reporter.Info($"reusing the prepared kernel build {Entry.Directory}");
            RealShadow = Ctx.RealPath(Entry.SourceDir);
            return true;
        }
        bool exists = Entry.Exists;
        info ??= NewInfo(fingerprint, compilerId);
        Directory.CreateDirectory(Entry.Directory);
        Entry.WriteInfo(info with { BuiltTargets = [] }); // incomplete until prepared
        ShadowAndConfigure(exists);
        Ctx.Reporter.Stage($"preparing the kernel build once (modules_prepare: generated headers, objtool, modpost); log: {Entry.LogFile}");
        var watch = Stopwatch.StartNew();
        var r = Ctx.Make.Kernel(Entry, [PreparedTarget], Entry.LogFile, kcflags: false);
        if (!r.Ok) throw Ctx.BuildFailure("preparing the kernel build", Entry.LogFile);
        if (Ctx.Kernel.Symvers != null)
            File.Copy(Ctx.Kernel.Symvers, Path.Combine(Entry.ObjDir, "Module.symvers"), overwrite: true);
        else if (Kbuild.ConfigValue(Ctx.Kernel.ConfigFile, "CONFIG_MODVERSIONS") == "y")
            throw new KpkException("the kernel has MODVERSIONS, so the module needs its Module.symvers (the CRCs of the exported symbols): give --symvers FILE or a --config build directory holding it");
        Ctx.Reporter.Info($"kernel build prepared in {ElapsedTime.Format(watch.Elapsed)}");
        Entry.WriteInfo(info with { BuiltTargets = [PreparedTarget] });
        return false;
    }

    public override IReadOnlyList<PlannedObject> Plan(ChangeSet change)
    {
        if (Ctx.Kernel.RecordsDirectory is { } records)
        {
            string root = Ctx.Kernel.RecordedSourceRoot ?? Ctx.RealPath(Ctx.Kernel.Source);
            var plan = ObjectPlanner.FromRecords(records, root, change.TouchedFiles, Ctx.Cancel);
            Ctx.Reporter.Detail($"objects from the build's kbuild records ({records}): {plan.Count}");
            return plan;
        }
        return Query(change);
    }

    private IReadOnlyList<PlannedObject> Query(ChangeSet change)
    {
        var sources = new SortedSet<string>(change.TouchedFiles.Where(IsCompiled), StringComparer.Ordinal);
        var headers = change.TouchedFiles.Where(f => f.EndsWith(".h", StringComparison.Ordinal)).ToList();
        if (headers.Count > 0)
        {
            Ctx.Reporter.Stage($"finding the files that include {string.Join(", ", headers)}");
            var including = IncludeScan.SourcesIncluding(Entry.SourceDir, headers, "x86", Ctx.Cancel);
            Ctx.Reporter.Info($"{string.Join(", ", headers)}: included by {including.Count} source file(s) of the tree");
            foreach (var s in including) sources.Add(s);
        }
        if (sources.Count == 0) return [];
        var dirs = sources.Select(s => Path.GetDirectoryName(s) ?? "").Distinct().ToList();
        string log = Path.Combine(Ctx.Work, "kbuild-query.log");
        Ctx.Reporter.Stage($"asking kbuild which of them this config builds (make -n in {dirs.Count} director{(dirs.Count == 1 ? "y" : "ies")})");
        var (compiled, owners) = ObjectPlanner.QueryKbuild(Ctx.Make, Entry, dirs, log);
        var plan = new List<PlannedObject>();
        foreach (var s in sources)
        {
            string obj = Path.ChangeExtension(s, ".o");
            if (compiled.Contains(obj)) plan.Add(PlannedObject.For(obj, owners));
            else Ctx.Reporter.Detail($"{s}: not built with this config");
        }
        return plan;
    }

    private static bool IsCompiled(string file) => file.EndsWith(".c", StringComparison.Ordinal) || file.EndsWith(".S", StringComparison.Ordinal);

    public override IReadOnlyList<PlannedObject> CompileOriginals(IReadOnlyList<PlannedObject> plan, ChangeSet change)
    {
        string log = Path.Combine(Entry.Directory, "originals.log");
        Ctx.Reporter.Stage($"compiling the original object(s) ({plan.Count}, {KbuildMake.KernelCFlags}); log: {log}");
        var watch = Stopwatch.StartNew();
        var progress = new MakeProgress(Ctx.Reporter, "original objects");
        var r = Ctx.Make.Kernel(Entry, plan.Select(p => p.Object), log, verbose: true, onLine: progress.Line);
        if (!r.Ok) throw Ctx.BuildFailure("compiling the original objects", log, keepLog: true);
        Ctx.Reporter.Detail($"original objects ready in {ElapsedTime.Format(watch.Elapsed)}");
        // What the compiler itself recorded: an object that includes none of the changed files is left out.
        var absolute = change.TouchedFiles.Select(f => RealShadow + "/" + f).ToList();
        var depending = Kbuild.ObjectsUsing(Entry.ObjDir, absolute, Ctx.Cancel, plan.Select(p => p.Object).ToHashSet(StringComparer.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var kept = plan.Where(p => depending.Contains(p.Object)).ToList();
        if (kept.Count < plan.Count)
            Ctx.Reporter.Info($"{plan.Count - kept.Count} of {plan.Count} object(s) do not include the changed files after all (their dependency records say so)");
        return kept;
    }
}
