using System.Text;
using Kpk.Core;
using Kpk.Core.Compression;
using Kpk.Diff;
using Kpk.Elf;

namespace Kpk.Build;

/// <summary>What <c>kpk create</c> produced.</summary>
public sealed record CreateOutcome
{
    public string? ModuleFile { get; init; }
    public string? Archive { get; init; }
    public PatchManifest? Manifest { get; init; }
    public IReadOnlyList<ReplacedFunction> Functions { get; init; } = [];
    public IReadOnlyList<string> ChangedObjects { get; init; } = [];
    public bool CacheReused { get; init; }
    public string CacheEntry { get; init; } = "";
    /// <summary>How the originals were obtained: "prepared" (only the affected objects compiled) or "full" (the whole kernel).</summary>
    public string OriginalBuild { get; init; } = "";
    public string? WorkDirectory { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>What every stage of one <c>kpk create</c> run shares: the request, the kernel, kbuild, the work directory, warnings.</summary>
public sealed class CreateContext(CreateRequest request, TargetKernel kernel, KbuildMake make, string work, IReporter reporter, CancellationToken cancel)
{
    private readonly List<string> _warnings = new();
    public CreateRequest Request { get; } = request;
    public TargetKernel Kernel { get; } = kernel;
    public KbuildMake Make { get; } = make;
    public string Work { get; } = work;
    public IReporter Reporter { get; } = reporter;
    public CancellationToken Cancel { get; } = cancel;
    public IReadOnlyList<string> Warnings { get { lock (_warnings) return _warnings.ToList(); } }

    public void Warn(string message)
    {
        lock (_warnings) _warnings.Add(message);
        Reporter.Warning(message);
    }

    /// <summary>A build failure naming the first error's file and line, its compile command, and a log that outlives the work directory.</summary>
    public KpkException BuildFailure(string what, string log, bool keepLog = false)
    {
        Cancel.ThrowIfCancellationRequested();
        string kept = log;
        if (keepLog && !Request.SkipCleanup)
        {
            string dir = Directory.CreateDirectory(Path.Combine(Request.CacheRoot, "logs")).FullName;
            kept = Path.Combine(dir, $"{Request.Name}-{Request.Id}-{Path.GetFileName(log)}");
            File.Copy(log, kept, overwrite: true);
        }
        var (location, command) = Kbuild.FirstError(kept);
        var sb = new StringBuilder($"{what} failed");
        if (location != null) sb.Append($":\n  {location}");
        if (command != null) sb.Append($"\n  compiled with: {command}");
        sb.Append($"\n  log: {kept}");
        return new KpkException(sb.ToString());
    }

    public string RealPath(string path)
    {
        var r = Tool.Run("realpath", ["--", path], null, Cancel);
        return r.Ok ? r.Output.Trim() : Path.GetFullPath(path);
    }

    public static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// <c>kpk create</c>: from a source change and a kernel to a livepatch module, in stages with
/// explicit inputs and outputs: the change (<see cref="CreateChange"/>), the target kernel
/// (the user's files, or a Debian release's packages: <see cref="DebianKernel"/>), the original
/// objects (<see cref="OriginalBuild"/>: only the affected objects of a prepared tree, or the
/// whole kernel), the patched objects (<see cref="PatchedBuild"/>), the diff
/// (<see cref="ObjectDiffStage"/>), the module (<see cref="ModuleAssembly"/>), and the outputs
/// (NAME.ko and kpk-ID.tar.gz, both or neither).
/// </summary>
public sealed class CreatePipeline(CreateRequest request, IReporter reporter, CancellationToken cancel)
{
    public const string PreRef = CreateChange.PreRef;

    public CreateOutcome Run()
    {
        CheckInputs();
        string work = Directory.CreateTempSubdirectory("kpk-create-").FullName;
        try
        {
            return RunIn(work);
        }
        finally
        {
            if (request.SkipCleanup) reporter.Info($"work directory kept: {work}");
            else CreateContext.TryDelete(work);
        }
    }

    private void CheckInputs()
    {
        foreach (var p in request.Patches)
            if (!File.Exists(p)) throw new KpkException($"{p}: no such patch file");
        foreach (var (option, file) in new[] { ("--vmlinux", request.Vmlinux), ("--kallsyms", request.Kallsyms), ("--symvers", request.Symvers), ("--oot-module", request.OotModule) })
            if (file != null && !File.Exists(file)) throw new KpkException($"{option} {file}: no such file");
        if (request.OotModuleSource != null && !Directory.Exists(request.OotModuleSource)) throw new KpkException($"{request.OotModuleSource}: no such directory");
        if (request.Vmlinux != null && KernelRelease(request.Vmlinux) == null)
            // The manifest records the release, and kpk apply checks it: find it before building anything.
            throw new KpkException($"{request.Vmlinux}: no \"Linux version\" banner; is this the kernel's vmlinux?");
    }

    private CreateOutcome RunIn(string work)
    {
        // The change comes first (a bad patch fails before anything is fetched); its warnings
        // join the run's once the context exists.
        var changeWarnings = new List<string>();
        var change = new CreateChange(request, work, reporter, changeWarnings.Add, cancel).Prepare();
        var kernel = ResolveKernel();
        string? cc = request.Cc ?? (request.Llvm ? null : KbuildMake.ConfiguredCompiler(kernel.ConfigFile));
        var make = new KbuildMake(request.Jobs, cc, request.CrossCompile, request.Llvm, kernel.Release, cancel);
        var ctx = new CreateContext(request, kernel, make, work, reporter, cancel);
        foreach (var w in changeWarnings) ctx.Warn(w);

        string compilerId = CheckCompiler(ctx);
        reporter.Stage($"identifying the source tree {kernel.Source}");
        string fingerprint = SourceFingerprint.Compute(kernel.Source, request.DiffExt != null ? ["." + request.DiffExt] : [], cancel);

        var cache = new BuildCache(request.CacheRoot);
        using var buildLock = cache.Lock(reporter, cancel);
        var original = ChooseOriginal(ctx, change);
        bool reused = original.Prepare(cache, fingerprint, compilerId);
        var entry = original.Entry;
        var sizes = MeasureSizes(ctx, entry);
        if (request.OotModule != null) BuildOotOriginal(ctx, entry);

        if (request.Change == ChangeKind.Prebuild)
        {
            reporter.Info($"original build ready in {entry.ObjDir}");
            return new CreateOutcome { CacheReused = reused, CacheEntry = entry.Directory, OriginalBuild = Kind(original), Warnings = ctx.Warnings };
        }
        if (kernel.Symbols == null) throw new KpkException("the kernel's symbols are needed to bind the patch: --vmlinux FILE or --kallsyms FILE");

        // The objects, original and patched.
        var tree = TreeFor(ctx, entry);
        IReadOnlyList<PlannedObject> plan = [];
        Func<IReadOnlyList<string>, IReadOnlyList<string>> objectsFor;
        if (request.OotModule == null)
        {
            plan = original.Plan(change);
            if (plan.Count > 0) plan = original.CompileOriginals(plan, change);
            var planned = plan.Select(p => p.Object).ToList();
            objectsFor = _ => planned;
        }
        else
        {
            string realRoot = ctx.RealPath(tree.Root);
            objectsFor = changed => Kbuild.ObjectsUsing(tree.ObjRoot, changed.Select(f => realRoot + "/" + f).ToList(), cancel);
        }
        var patched = new PatchedBuild(ctx).Run(entry, tree, change, objectsFor);

        var owners = OwnersOf(plan, patched.Keys);
        var diffs = new ObjectDiffStage(ctx).Run(tree, patched, owners, p => ModuleFile(ctx, entry, p), LoadExports(ctx, entry), sizes);
        var assembly = new ModuleAssembly(ctx);
        var parents = assembly.Link(diffs);
        string ko = assembly.Build(entry, parents);

        var manifest = new PatchManifest
        {
            Id = request.Id,
            Name = request.Name,
            Description = request.Description ?? "",
            KernelRelease = kernel.Release!,
            VmlinuxBuildId = kernel.BuildId,
            KernelPackage = kernel.Package,
            KernelPackageVersion = kernel.PackageVersion,
            Compiler = compilerId,
            Replace = request.Replace,
            Objects = new SortedDictionary<string, string[]>(parents.ToDictionary(p => p.Name, p => p.Functions.Select(f => f.Name).ToArray()), StringComparer.Ordinal),
            KpkVersion = KpkVersion.Current,
            Created = DateTimeOffset.UtcNow,
        };
        var (outKo, outArchive) = WriteOutputs(ko, change, manifest);
        return new CreateOutcome
        {
            ModuleFile = outKo,
            Archive = outArchive,
            Manifest = manifest,
            Functions = parents.SelectMany(p => p.Functions).ToList(),
            ChangedObjects = patched.Keys.ToList(),
            CacheReused = reused,
            CacheEntry = entry.Directory,
            OriginalBuild = Kind(original),
            WorkDirectory = request.SkipCleanup ? work : null,
            Warnings = ctx.Warnings,
        };
    }

    private static string Kind(OriginalBuild b) => b is FullOriginalBuild ? "full" : "prepared";

    // ---------------------------------------------------------------- stage 2: the kernel

    /// <summary>The target kernel from the user's files, or from the packages of a Debian release (--kernel).</summary>
    private TargetKernel ResolveKernel()
    {
        var given = new KernelParts { Source = request.KernelSource, Config = request.Config, Symvers = request.Symvers, Vmlinux = request.Vmlinux, Kallsyms = request.Kallsyms };
        TargetKernel kernel;
        if (request.KernelRelease != null)
        {
            reporter.Stage($"finding the parts of kernel {request.KernelRelease}");
            kernel = new DebianKernel(request.CacheRoot, reporter, cancel).Resolve(request.KernelRelease, given);
        }
        else
        {
            if (request.KernelSource == null) throw new KpkException("give the kernel's source tree (SRC or --source), or --kernel RELEASE for a distribution kernel");
            string config = request.Config ?? Path.Combine(request.KernelSource, ".config");
            if (!File.Exists(config)) throw new KpkException($"{config}: no kernel config (give one with --config FILE|DIR)");
            string? symvers = request.Symvers ?? (request.ConfigDirectory is { } d && File.Exists(Path.Combine(d, "Module.symvers")) ? Path.Combine(d, "Module.symvers") : null);
            KernelSymbols? symbols = request.Kallsyms != null ? new KernelSymbols(request.Kallsyms, true)
                : request.Vmlinux != null ? new KernelSymbols(request.Vmlinux, false) : null;
            if (symbols == null && request.Change != ChangeKind.Prebuild)
                throw new KpkException("--vmlinux is needed: the running kernel's vmlinux, with symbols (or --kallsyms, a copy of its /proc/kallsyms)");
            string? recordedRoot = request.ConfigDirectory != null ? ObjectPlanner.RecordedSourceRoot(request.ConfigDirectory) : null;
            kernel = new TargetKernel
            {
                Source = request.KernelSource,
                ConfigFile = config,
                Symvers = symvers,
                Symbols = symbols,
                ModulesRoot = request.ConfigDirectory,
                RecordsDirectory = recordedRoot != null ? request.ConfigDirectory : null,
                RecordedSourceRoot = recordedRoot,
            };
        }
        string source = SourceTree.Resolve(kernel.Source, request.CacheRoot, reporter, cancel);
        string? release = kernel.Release
            ?? (kernel.Symbols is { IsKallsyms: false } s ? KernelRelease(s.Path) : null)
            ?? RecordedRelease(request.ConfigDirectory)
            // A tree the kernel was built in records it too (ksplice-create's KERNEL_SOURCE, with System.map as the symbols).
            ?? RecordedRelease(request.KernelSource is { } tree && Directory.Exists(tree) ? tree : null);
        if (release == null && request.Change != ChangeKind.Prebuild)
            throw new KpkException("the kernel release is unknown (kallsyms does not say it): give --kernel RELEASE, as uname -r prints it");
        string? buildId = kernel.Symbols is { IsKallsyms: false } v ? BuildId(v.Path) : null;
        kernel = kernel with { Source = source, Release = release, BuildId = buildId };
        reporter.Detail($"kernel: release {release ?? "?"}, source {source}, config {kernel.ConfigFile}, symbols {kernel.Symbols?.ToString() ?? "-"}, Module.symvers {kernel.Symvers ?? "-"}");
        return kernel;
    }

    /// <summary>The release kbuild wrote into a build directory (include/config/kernel.release), if any.</summary>
    private static string? RecordedRelease(string? buildDir) =>
        buildDir != null && File.Exists(Path.Combine(buildDir, "include", "config", "kernel.release"))
            ? File.ReadAllText(Path.Combine(buildDir, "include", "config", "kernel.release")).Trim() : null;

    private string CheckCompiler(CreateContext ctx)
    {
        reporter.Stage("checking the compiler");
        string compilerId = CompilerIdentity.Probe(ctx.Make.CompilerCommand, Path.Combine(ctx.Work, "cc"), cancel);
        reporter.Detail($"compiler: {compilerId}");
        if (request.SkipCompilerCheck) reporter.Detail("compiler check skipped (--skip-compiler-check)");
        else if (ctx.Kernel.Symbols is { IsKallsyms: false } v) CompilerIdentity.Check(compilerId, v.Path);
        else if (request.Change != ChangeKind.Prebuild) CompilerIdentity.CheckConfig(compilerId, ctx.Kernel.ConfigFile);
        return compilerId;
    }

    // ---------------------------------------------------------------- stage 3: the originals

    /// <summary>
    /// Only the affected objects of a prepared tree, unless asked for the whole kernel or the
    /// change touches a file whose effect kbuild's records cannot tell (a Makefile, Kconfig, a
    /// linker script): then the whole original is built, saying why.
    /// </summary>
    private OriginalBuild ChooseOriginal(CreateContext ctx, ChangeSet change)
    {
        if (request.FullBuild) return new FullOriginalBuild(ctx, "--full-build");
        var opaque = change.TouchedFiles.Where(f => !(f.EndsWith(".c", StringComparison.Ordinal) || f.EndsWith(".h", StringComparison.Ordinal) || f.EndsWith(".S", StringComparison.Ordinal))).ToList();
        if (opaque.Count > 0 && request.OotModule == null)
            return new FullOriginalBuild(ctx, $"the change touches {string.Join(", ", opaque)}, whose effect on the objects only a full build can tell");
        return new PreparedOriginalBuild(ctx);
    }

    private SpecialSectionSizes MeasureSizes(CreateContext ctx, CacheEntry entry)
    {
        var info = entry.ReadInfo()!;
        if (info.SpecialSizes == null)
        {
            reporter.Stage("measuring special-section entry sizes from the kernel's headers");
            string probe = Path.Combine(entry.Directory, "probe");
            var sizes = SpecialSizeProbe.Measure((dir, targets, log) => ctx.Make.External(entry, dir, targets, log, kcflags: false), probe);
            info = info with { SpecialSizes = sizes };
            entry.WriteInfo(info);
        }
        reporter.Detail("special-section entry sizes: " + string.Join(", ", info.SpecialSizes!.Select(kv => $"{kv.Key}={kv.Value}")));
        return SpecialSizeProbe.ToOptions(info.SpecialSizes!);
    }

    private BuildTree TreeFor(CreateContext ctx, CacheEntry entry)
    {
        if (request.OotModule == null)
            return new BuildTree(entry.SourceDir, ctx.Kernel.Source, entry.ObjDir,
                (targets, log) => ctx.Make.Kernel(entry, targets, log, verbose: true));
        string oot = OotShadow(entry);
        return new BuildTree(oot, request.OotModuleSource!, oot,
            (targets, log) => ctx.Make.External(entry, oot, targets, log, kcflags: true, "V=1"));
    }

    private string OotShadow(CacheEntry entry)
    {
        string src = Path.GetFullPath(request.OotModuleSource!);
        string key = SourceFingerprint.Hash(src, SourceFingerprint.Compute(src, [], cancel))[..16];
        return Path.Combine(entry.OotDir, key);
    }

    private void BuildOotOriginal(CreateContext ctx, CacheEntry entry)
    {
        string oot = OotShadow(entry);
        string done = oot + ".built";
        if (File.Exists(done))
        {
            reporter.Info($"reusing the cached original build of {request.OotModuleSource}");
            return;
        }
        if (!Directory.Exists(oot))
        {
            reporter.Stage($"making a hard-linked shadow of {request.OotModuleSource}");
            ShadowTree.Create(request.OotModuleSource!, oot, [], cancel);
        }
        string log = oot + ".log";
        reporter.Stage($"building the original out-of-tree module; log: {log}");
        var r = ctx.Make.External(entry, oot, ["modules"], log, kcflags: true);
        if (!r.Ok) throw ctx.BuildFailure("building the original out-of-tree module", log);
        File.WriteAllText(done, DateTimeOffset.UtcNow.ToString("O"));
    }

    // ---------------------------------------------------------------- binding

    /// <summary>What each rebuilt object is part of; an out-of-tree module's objects are all its own.</summary>
    private IReadOnlyDictionary<string, PlannedObject> OwnersOf(IReadOnlyList<PlannedObject> plan, IEnumerable<string> objects)
    {
        if (request.OotModule == null) return plan.ToDictionary(p => p.Object, StringComparer.Ordinal);
        string name = Path.GetFileNameWithoutExtension(request.OotModule).Replace('-', '_');
        return objects.ToDictionary(o => o, o => new PlannedObject(o, name, request.OotModule), StringComparer.Ordinal);
    }

    /// <summary>
    /// The module file a module's patch binds to: the out-of-tree module, the kernel's own (build
    /// directory or package), else the cache's full build. A packaged module compressed the way
    /// distributions ship them (binfmt_misc.ko.xz) is unpacked into the work directory first.
    /// </summary>
    private string ModuleFile(CreateContext ctx, CacheEntry entry, PlannedObject owner)
    {
        if (request.OotModule != null) return request.OotModule;
        string ko = owner.ModuleKo ?? throw new KpkException($"{owner.Object}: part of {owner.Parent}, but which .ko is unknown");
        foreach (var root in new[] { ctx.Kernel.ModulesRoot, entry.ObjDir })
        {
            if (root == null) continue;
            foreach (var suffix in new[] { "" }.Concat(CompressedFile.Suffixes))
            {
                string path = Path.Combine(root, ko + suffix);
                if (!File.Exists(path)) continue;
                if (suffix.Length == 0) return path;
                string unpacked = Path.Combine(ctx.Work, "parents", ko);
                if (!File.Exists(unpacked))
                {
                    ctx.Reporter.Detail($"unpacking {path}");
                    Directory.CreateDirectory(Path.GetDirectoryName(unpacked)!);
                    File.WriteAllBytes(unpacked, CompressedFile.ReadAllBytes(path));
                }
                return unpacked;
            }
        }
        throw new KpkException($"{owner.Parent}: no {ko} (nor {ko}.xz, .zst, .gz) in {ctx.Kernel.ModulesRoot ?? entry.ObjDir} to bind the patch to (the module as the kernel has it)");
    }

    private static ModuleSymvers LoadExports(CreateContext ctx, CacheEntry entry)
    {
        foreach (var file in new[] { ctx.Kernel.Symvers, Path.Combine(entry.ObjDir, "Module.symvers") })
            if (file != null && File.Exists(file)) return ModuleSymvers.Load(file);
        return ModuleSymvers.Empty;
    }

    // ---------------------------------------------------------------- stage 7: the outputs

    private (string Ko, string Archive) WriteOutputs(string ko, ChangeSet change, PatchManifest manifest)
    {
        reporter.Stage($"writing {request.Name}.ko and kpk-{request.Id}.tar.gz to {request.OutputDirectory}");
        Directory.CreateDirectory(request.OutputDirectory);
        string outKo = Path.Combine(request.OutputDirectory, request.Name + ".ko");
        string outArchive = Path.Combine(request.OutputDirectory, $"kpk-{request.Id}.tar.gz");
        // Both outputs are complete before either appears: the archive is written first to a
        // temporary name, then both are renamed into place.
        cancel.ThrowIfCancellationRequested();
        PatchArchive.Write(outArchive, request.Id, ko, change.Patches.ToList(), manifest);
        try
        {
            AtomicFile.WriteAllBytes(outKo, File.ReadAllBytes(ko));
        }
        catch
        {
            try { File.Delete(outArchive); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
        return (outKo, outArchive);
    }

    /// <summary>The kernel release from vmlinux's banner ("Linux version 6.1.0-13-amd64 (...").</summary>
    public static string? KernelRelease(string vmlinux)
    {
        using var image = ElfImage.Open(vmlinux);
        var bytes = image.Bytes.Span;
        ReadOnlySpan<byte> marker = "Linux version "u8;
        int at = bytes.IndexOf(marker);
        if (at < 0) return null;
        var rest = bytes[(at + marker.Length)..];
        int end = rest.IndexOfAny((byte)' ', (byte)0, (byte)'\n');
        return end <= 0 ? null : Encoding.ASCII.GetString(rest[..end]);
    }

    private static string? BuildId(string vmlinux)
    {
        using var image = ElfImage.Open(vmlinux);
        return image.BuildId();
    }
}
