using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Kpk.Core;
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
    public string? WorkDirectory { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// <c>kpk create</c>: from a source change and the user's kernel tree, config and vmlinux to a
/// livepatch module. The original is built once per (source, config, compiler, kpk version) in
/// the cache, in a hard-linked shadow of the tree with O=; the patched build recompiles only the
/// objects whose recorded dependencies the change touches, in the same build directory, with
/// the original objects set aside and put back afterwards; the changed objects are diffed in
/// parallel, linked per patched object, wrapped in a generated klp_patch hook built by kbuild,
/// and the differ's load-time bindings turned into livepatch relocation sections.
/// </summary>
public sealed class CreatePipeline(CreateRequest request, IReporter reporter, CancellationToken cancel)
{
    public const string KernelCFlags = "-ffunction-sections -fdata-sections";

    private readonly List<string> _warnings = new();
    private string _work = "";
    private string _realShadow = "";

    public CreateOutcome Run()
    {
        CheckInputs();
        _work = Directory.CreateTempSubdirectory("kpk-create-").FullName;
        bool keep = request.SkipCleanup;
        try
        {
            return RunIn();
        }
        finally
        {
            if (keep) reporter.Info($"work directory kept: {_work}");
            else TryDelete(_work);
        }
    }

    private void CheckInputs()
    {
        if (!Directory.Exists(request.KernelSource))
            throw new KpkException($"{request.KernelSource}: no such kernel source directory");
        if (!File.Exists(Path.Combine(request.KernelSource, "Makefile")))
            throw new KpkException($"{request.KernelSource}: not a kernel source tree (no Makefile)");
        string config = ConfigFile;
        if (!File.Exists(config)) throw new KpkException($"{config}: no kernel config (give one with --config FILE|DIR)");
        foreach (var p in request.Patches)
            if (!File.Exists(p)) throw new KpkException($"{p}: no such patch file");
        if (request.Change != ChangeKind.Prebuild)
        {
            if (request.Vmlinux == null) throw new KpkException("--vmlinux is needed: the running kernel's vmlinux, with symbols");
            if (!File.Exists(request.Vmlinux)) throw new KpkException($"{request.Vmlinux}: no such vmlinux");
            // The manifest records the release, and kpk apply checks it: find it before building anything.
            if (KernelRelease(request.Vmlinux) == null)
                throw new KpkException($"{request.Vmlinux}: no \"Linux version\" banner; is this the kernel's vmlinux?");
        }
        if (request.OotModule != null && !File.Exists(request.OotModule)) throw new KpkException($"{request.OotModule}: no such module");
        if (request.OotModuleSource != null && !Directory.Exists(request.OotModuleSource)) throw new KpkException($"{request.OotModuleSource}: no such directory");
    }

    private string ConfigFile => request.Config ?? Path.Combine(request.KernelSource, ".config");

    private CreateOutcome RunIn()
    {
        var patches = PrepareChange();

        reporter.Stage("checking the compiler");
        string compilerId = CompilerIdentity.Probe(CompilerCommand(), Path.Combine(_work, "cc"), cancel);
        reporter.Detail($"compiler: {compilerId}");
        if (request.Vmlinux != null)
        {
            if (request.SkipCompilerCheck) reporter.Detail("compiler check skipped (--skip-compiler-check)");
            else CompilerIdentity.Check(compilerId, request.Vmlinux);
        }

        var suffixes = request.DiffExt != null ? new[] { "." + request.DiffExt } : [];
        reporter.Stage($"identifying the source tree {request.KernelSource}");
        string fingerprint = SourceFingerprint.Compute(request.KernelSource, suffixes, cancel);
        string configHash = SourceFingerprint.HashFile(ConfigFile);
        string version = KpkVersion.Current;
        string key = SourceFingerprint.Hash(fingerprint, configHash, compilerId, request.Cc ?? "", request.CrossCompile ?? "",
            request.Llvm ? "LLVM=1" : "", version, KernelCFlags)[..16];

        var cache = new BuildCache(request.CacheRoot);
        using var buildLock = cache.Lock(reporter, cancel);
        var entry = cache.Entry(key);
        entry.RecoverIfNeeded(reporter);
        bool reused = BuildOriginal(entry, fingerprint, configHash, compilerId, version);
        var sizes = MeasureSizes(entry);
        if (request.OotModule != null) BuildOotOriginal(entry);

        if (request.Change == ChangeKind.Prebuild)
        {
            reporter.Info($"original build ready in {entry.ObjDir}");
            return new CreateOutcome { CacheReused = reused, CacheEntry = entry.Directory, Warnings = _warnings };
        }

        var tree = TreeFor(entry);
        var patchedObjects = BuildPatched(entry, tree, patches);
        var results = DiffObjects(entry, tree, patchedObjects, sizes);
        var parents = LinkPerParent(results);
        string ko = BuildModule(entry, parents);
        var conversion = KlpConverter.ConvertFile(ko);
        reporter.Detail($"livepatch relocations: {conversion.Relocations} in {conversion.Sections.Count} section(s), {conversion.Symbols} livepatch symbol(s)");

        var functions = parents.SelectMany(p => p.Functions).ToList();
        var manifest = new PatchManifest
        {
            Id = request.Id,
            Name = request.Name,
            Description = request.Description ?? "",
            KernelRelease = KernelRelease(request.Vmlinux!)!,
            VmlinuxBuildId = BuildId(request.Vmlinux!),
            Compiler = compilerId,
            Replace = request.Replace,
            Objects = new SortedDictionary<string, string[]>(parents.ToDictionary(p => p.Name, p => p.Functions.Select(f => f.Name).ToArray()), StringComparer.Ordinal),
            KpkVersion = version,
            Created = DateTimeOffset.UtcNow,
        };

        reporter.Stage($"writing {request.Name}.ko and kpk-{request.Id}.tar.gz to {request.OutputDirectory}");
        Directory.CreateDirectory(request.OutputDirectory);
        string outKo = Path.Combine(request.OutputDirectory, request.Name + ".ko");
        string outArchive = Path.Combine(request.OutputDirectory, $"kpk-{request.Id}.tar.gz");
        // Both outputs are complete before either appears: the archive is written first to a
        // temporary name, then both are renamed into place.
        cancel.ThrowIfCancellationRequested();
        PatchArchive.Write(outArchive, request.Id, ko, patches, manifest);
        try
        {
            AtomicFile.WriteAllBytes(outKo, File.ReadAllBytes(ko));
        }
        catch
        {
            TryDeleteFile(outArchive);
            throw;
        }

        return new CreateOutcome
        {
            ModuleFile = outKo,
            Archive = outArchive,
            Manifest = manifest,
            Functions = functions,
            ChangedObjects = patchedObjects.Keys.ToList(),
            CacheReused = reused,
            CacheEntry = entry.Directory,
            WorkDirectory = request.SkipCleanup ? _work : null,
            Warnings = _warnings,
        };
    }

    // ---------------------------------------------------------------- the change

    /// <summary>The change as patch files (name in the archive, path), made from --diffext or --git when those are used.</summary>
    private List<(string Name, string Path)> PrepareChange()
    {
        switch (request.Change)
        {
            case ChangeKind.Patches:
                return request.Patches.Select(p => (Path.GetFileName(p), Path.GetFullPath(p))).ToList();
            case ChangeKind.DiffExt:
                return [("diffext.patch", DiffExtPatch())];
            case ChangeKind.Git:
                return [(ModuleNames.Sanitize(request.GitCommit!) + ".patch", GitPatch())];
            default:
                return [];
        }
    }

    private string DiffExtPatch()
    {
        reporter.Stage($"collecting *.{request.DiffExt} files");
        string ext = "." + request.DiffExt;
        string root = Path.GetFullPath(request.KernelSource);
        var news = Directory.EnumerateFiles(root, "*" + ext, new EnumerationOptions { RecurseSubdirectories = true })
            .Select(f => Path.GetRelativePath(root, f))
            .Where(f => !f.StartsWith(".git/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        if (news.Count == 0) throw new KpkException($"--diffext {request.DiffExt}: no *{ext} file in {request.KernelSource}");
        var patch = new StringBuilder();
        foreach (var rel in news)
        {
            string old = rel[..^ext.Length];
            string oldPath = File.Exists(Path.Combine(root, old)) ? old : "/dev/null";
            var r = Tool.Run("diff", ["-u", "--label", "a/" + old, "--label", "b/" + old, oldPath, rel], root, cancel);
            if (r.ExitCode > 1) throw new KpkException($"diff {old} {rel} failed:\n{r.Output.TrimEnd()}");
            patch.Append(r.Output);
            reporter.Detail($"{rel} is the new {old}");
        }
        string file = Path.Combine(_work, "diffext.patch");
        File.WriteAllText(file, patch.ToString());
        return file;
    }

    public const string PreRef = "refs/kpk/pre";

    private string GitPatch()
    {
        string src = request.KernelSource;
        reporter.Stage($"taking the change {PreRef}..{request.GitCommit} from git");
        if (Tool.Run("git", ["-C", src, "rev-parse", "--git-dir"], null, cancel) is { Ok: false } notGit)
            throw new KpkException($"--git: {src} is not a git work tree:\n{notGit.Output.TrimEnd()}");
        var commit = Tool.Run("git", ["-C", src, "rev-parse", "--verify", "-q", request.GitCommit! + "^{commit}"], null, cancel);
        if (!commit.Ok) throw new KpkException($"--git {request.GitCommit}: no such commit in {src}");
        bool hasPre = Tool.Run("git", ["-C", src, "rev-parse", "--verify", "-q", PreRef], null, cancel).Ok;
        if (!hasPre || request.Series)
        {
            Tool.Check("git", ["-C", src, "update-ref", PreRef, "HEAD"], null, cancel);
            reporter.Info($"{PreRef} set to HEAD ({(request.Series ? "--series: the tree's current state is the original" : "it did not exist")})");
        }
        // The original build is the work tree; it should be what refs/kpk/pre names.
        if (!Tool.Run("git", ["-C", src, "diff", "--quiet", PreRef, "--"], null, cancel).Ok)
            Warn($"the work tree of {src} differs from {PreRef}: the original is built from the work tree as it is");
        var diff = Tool.Run("git", ["-C", src, "diff", "--no-color", "--no-ext-diff", "--full-index", PreRef, commit.Output.Trim(), "--"], null, cancel);
        if (!diff.Ok) throw new KpkException($"git diff {PreRef} {request.GitCommit} failed:\n{diff.Output.TrimEnd()}");
        if (diff.Output.Length == 0) throw new KpkException($"no functional changes: {PreRef} and {request.GitCommit} have the same tree", ExitCodes.NoChange);
        string file = Path.Combine(_work, "git.patch");
        File.WriteAllText(file, diff.Output);
        return file;
    }

    private IReadOnlyList<string> EffectivePatchOptions =>
        request.Change == ChangeKind.Patches ? Tool.Words(request.PatchOptions) : ["-p1"];

    // ---------------------------------------------------------------- builds

    private IReadOnlyList<string> CompilerCommand()
    {
        if (request.Cc != null) return Tool.Words(request.Cc);
        if (request.Llvm) return ["clang"];
        return [(request.CrossCompile ?? "") + "gcc"];
    }

    private string Linker => request.Llvm ? "ld.lld" : (request.CrossCompile ?? "") + "ld";

    private List<string> MakeVariables(bool withKcflags)
    {
        var v = new List<string> { $"-j{Math.Max(1, request.Jobs)}" };
        if (withKcflags) v.Add("KCFLAGS=" + KernelCFlags);
        if (request.Cc != null) v.Add("CC=" + request.Cc);
        if (request.CrossCompile != null) v.Add("CROSS_COMPILE=" + request.CrossCompile);
        if (request.Llvm) v.Add("LLVM=1");
        return v;
    }

    private ToolResult Make(IEnumerable<string> args, string log, MakeProgress? progress = null) =>
        Tool.Run("make", args, null, cancel, log, onLine: progress == null ? null : progress.Line);

    /// <summary>A make of the kernel build (-C SHADOW O=OBJ).</summary>
    private ToolResult KernelMake(CacheEntry entry, IEnumerable<string> targets, string log, bool verbose = false, MakeProgress? progress = null) =>
        Make(["-C", entry.SourceDir, "O=" + entry.ObjDir, .. MakeVariables(true), .. verbose ? ["V=1"] : Array.Empty<string>(), .. targets], log, progress);

    private IReadOnlyList<string> OriginalTargets()
    {
        if (request.Targets.Count > 0) return request.Targets;
        var targets = new List<string> { "vmlinux" };
        if (Kbuild.ConfigValue(ConfigFile, "CONFIG_MODULES") == "y") targets.Add("modules");
        return targets;
    }

    /// <summary>Builds the original in the cache, or says that it reuses it. True when reused.</summary>
    private bool BuildOriginal(CacheEntry entry, string fingerprint, string configHash, string compilerId, string version)
    {
        var targets = OriginalTargets();
        var info = entry.Exists ? entry.ReadInfo() : null;
        if (info != null && targets.All(info.BuiltTargets.Contains))
        {
            reporter.Info($"reusing the cached original build {entry.Directory} ({string.Join(' ', targets)})");
            _realShadow = RealPath(entry.SourceDir);
            return true;
        }
        if (!entry.Exists)
        {
            reporter.Stage($"making a hard-linked shadow of {request.KernelSource} in the cache");
            ShadowTree.Create(request.KernelSource, entry.SourceDir, [], cancel);
        }
        _realShadow = RealPath(entry.SourceDir);
        InstallHeader(entry.SourceDir);
        Directory.CreateDirectory(entry.ObjDir);
        info ??= new CacheEntryInfo
        {
            Source = Path.GetFullPath(request.KernelSource),
            SourceFingerprint = fingerprint,
            ConfigSha256 = configHash,
            Compiler = compilerId,
            KpkVersion = version,
        };
        entry.WriteInfo(info with { BuiltTargets = [] }); // incomplete until the build succeeds
        string objConfig = Path.Combine(entry.ObjDir, ".config");
        // .config.kpk records which config the build directory was configured from (olddefconfig may rewrite .config).
        string configStamp = objConfig + ".kpk";
        if (!File.Exists(configStamp) || File.ReadAllText(configStamp) != configHash)
        {
            File.Copy(ConfigFile, objConfig, overwrite: true);
            var r = KernelMake(entry, ["olddefconfig"], entry.LogFile);
            if (!r.Ok) throw BuildFailure("configuring the original kernel", entry.LogFile);
            File.WriteAllText(configStamp, configHash);
        }
        reporter.Stage($"building the original kernel ({string.Join(' ', targets)}, {KernelCFlags}); log: {entry.LogFile}");
        var watch = Stopwatch.StartNew();
        var build = KernelMake(entry, targets, entry.LogFile, progress: new MakeProgress(reporter, "original build"));
        if (!build.Ok) throw BuildFailure("building the original kernel", entry.LogFile);
        reporter.Info($"original build done in {watch.Elapsed:mm\\:ss}");
        entry.WriteInfo(info with { BuiltTargets = info.BuiltTargets.Union(targets).ToList() });
        return false;
    }

    /// <summary>kpk-patch.h goes into the shadow's include/ (on every include path kbuild passes), so no command line changes.</summary>
    private static void InstallHeader(string shadow)
    {
        string source = KpkDataFiles.Find("kpk-patch.h");
        if (!File.Exists(source)) throw new KpkException($"{source}: kpk's header is missing from its installation");
        string target = Path.Combine(shadow, "include", "kpk-patch.h");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        byte[] content = File.ReadAllBytes(source);
        if (!File.Exists(target) || !File.ReadAllBytes(target).AsSpan().SequenceEqual(content)) File.WriteAllBytes(target, content);
    }

    private SpecialSectionSizes MeasureSizes(CacheEntry entry)
    {
        var info = entry.ReadInfo()!;
        if (info.SpecialSizes == null)
        {
            reporter.Stage("measuring special-section entry sizes from the kernel's headers");
            string probe = Path.Combine(entry.Directory, "probe");
            var sizes = SpecialSizeProbe.Measure((dir, targets, log) =>
                Make(["-C", entry.ObjDir, "M=" + dir, .. MakeVariables(false), .. targets], log), probe);
            info = info with { SpecialSizes = sizes };
            entry.WriteInfo(info);
        }
        reporter.Detail("special-section entry sizes: " + string.Join(", ", info.SpecialSizes!.Select(kv => $"{kv.Key}={kv.Value}")));
        return SpecialSizeProbe.ToOptions(info.SpecialSizes!);
    }

    /// <summary>Where the change applies and how objects are built there: the kernel shadow, or an out-of-tree module's.</summary>
    private sealed record BuildTree(string Root, string Source, string ObjRoot, Func<IEnumerable<string>, string, ToolResult> MakeTargets);

    private BuildTree TreeFor(CacheEntry entry)
    {
        if (request.OotModule == null)
            return new BuildTree(entry.SourceDir, request.KernelSource, entry.ObjDir,
                (targets, log) => KernelMake(entry, targets, log, verbose: true));
        string oot = OotShadow(entry);
        return new BuildTree(oot, request.OotModuleSource!, oot,
            (targets, log) => Make(["-C", entry.ObjDir, "M=" + oot, "V=1", .. MakeVariables(true), .. targets], log));
    }

    private string OotShadow(CacheEntry entry)
    {
        string src = Path.GetFullPath(request.OotModuleSource!);
        string key = SourceFingerprint.Hash(src, SourceFingerprint.Compute(src, [], cancel))[..16];
        return Path.Combine(entry.OotDir, key);
    }

    private void BuildOotOriginal(CacheEntry entry)
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
        var r = Make(["-C", entry.ObjDir, "M=" + oot, .. MakeVariables(true), "modules"], log);
        if (!r.Ok) throw BuildFailure("building the original out-of-tree module", log);
        File.WriteAllText(done, DateTimeOffset.UtcNow.ToString("O"));
    }

    /// <summary>
    /// Applies the change in the shadow, rebuilds the objects that depend on what it changed,
    /// keeps them, and puts the shadow and the build back as they were. Returns object → patched copy.
    /// </summary>
    private Dictionary<string, string> BuildPatched(CacheEntry entry, BuildTree tree, List<(string Name, string Path)> patches)
    {
        var opts = EffectivePatchOptions;
        int strip = UnifiedDiff.StripLevel(opts);
        var touched = patches.SelectMany(p => UnifiedDiff.TouchedFiles(p.Path, strip)).Distinct().Order(StringComparer.Ordinal).ToList();
        if (touched.Count == 0) throw new KpkException($"{patches[0].Path}: names no file to change (is it a unified diff? with -p{strip}?)");

        var shadow = new ShadowTree(tree.Source, tree.Root);
        var journal = new CacheEntry.Journal { TreeRoot = tree.Root, TreeSource = Path.GetFullPath(tree.Source), SourceFiles = touched };
        entry.WriteJournal(journal);
        var patched = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (var f in touched) shadow.BreakLink(f);
            foreach (var (name, path) in patches)
            {
                reporter.Stage($"applying {name}");
                var r = Tool.Run("patch", [.. opts, "--batch", "--forward", "--no-backup-if-mismatch", "--reject-file=-", "-d", tree.Root, "-i", path], null, cancel);
                if (!r.Ok) throw new KpkException($"{name} does not apply to {tree.Source}:\n{r.Output.TrimEnd()}");
                reporter.Detail(r.Output.TrimEnd(), 2);
            }
            string realRoot = RealPath(tree.Root);
            var changed = touched.Where(f => !SameContent(Path.Combine(tree.Root, f), Path.Combine(tree.Source, f)))
                .Select(f => realRoot + "/" + f).ToList();
            if (changed.Count == 0)
                throw new KpkException("no functional changes: the patch leaves every file as it was", ExitCodes.NoChange);
            var objects = Kbuild.ObjectsUsing(tree.ObjRoot, changed, cancel);
            if (objects.Count == 0)
                throw new KpkException($"no functional changes: no object of this build is compiled from {string.Join(", ", changed.Select(c => Path.GetRelativePath(realRoot, c)))} (not built with this config?)",
                    ExitCodes.NoChange);
            reporter.Info($"objects to rebuild: {string.Join(' ', objects)}");

            // The originals stay the cache's: set aside (rename keeps them intact), rebuilt, put back.
            string aside = Path.Combine(entry.Directory, "aside");
            if (Directory.Exists(aside)) Directory.Delete(aside, recursive: true);
            int n = 0;
            foreach (var o in objects)
                foreach (var file in new[] { o, Path.Combine(Path.GetDirectoryName(o)!, "." + Path.GetFileName(o) + ".cmd") })
                {
                    string home = Path.Combine(tree.ObjRoot, file);
                    if (File.Exists(home)) journal.Aside.Add([home, Path.Combine(aside, $"{n++}-{Path.GetFileName(file)}")]);
                }
            entry.WriteJournal(journal);
            Directory.CreateDirectory(aside);
            foreach (var pair in journal.Aside) File.Move(pair[0], pair[1]);

            string log = Path.Combine(_work, "patched-build.log");
            reporter.Stage($"building the patched objects ({objects.Count}); log: {log}");
            var build = tree.MakeTargets(objects, log);
            if (!build.Ok) throw BuildFailure("building the patched objects", log, keepLog: true);
            foreach (var o in objects)
            {
                string built = Path.Combine(tree.ObjRoot, o);
                if (!File.Exists(built)) throw new KpkException($"the patched build did not produce {o}; see {log}");
                string copy = Path.Combine(_work, "patched", o);
                Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
                File.Move(built, copy);
                patched[o] = copy;
            }
        }
        finally
        {
            CacheEntry.Undo(journal);
            entry.ClearJournal();
            string aside = Path.Combine(entry.Directory, "aside");
            if (Directory.Exists(aside)) TryDelete(aside);
        }
        return patched;
    }

    private static bool SameContent(string a, string b)
    {
        bool ea = File.Exists(a), eb = File.Exists(b);
        if (ea != eb) return false;
        if (!ea) return true;
        return File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b));
    }

    // ---------------------------------------------------------------- diff

    private sealed record ObjectDiff(string Object, string Parent, DiffResult Result, string? Output);

    private List<ObjectDiff> DiffObjects(CacheEntry entry, BuildTree tree, Dictionary<string, string> patched, SpecialSectionSizes sizes)
    {
        var changed = patched.Where(kv => !SameContent(kv.Value, Path.Combine(tree.ObjRoot, kv.Key))).Select(kv => kv.Key).ToList();
        foreach (var same in patched.Keys.Except(changed)) reporter.Detail($"{same}: rebuilt identical");
        if (changed.Count == 0) throw new KpkException("no functional changes: every rebuilt object is identical to the original", ExitCodes.NoChange);

        reporter.Stage($"diffing {changed.Count} object(s)");
        var ownership = request.OotModule == null ? Kbuild.ModuleOwnership(entry.ObjDir) : new Dictionary<string, Kbuild.ModuleInfo>();
        string ootName = request.OotModule == null ? "" : Path.GetFileNameWithoutExtension(request.OotModule).Replace('-', '_');
        var exports = LoadExports(entry);
        var parentTables = new ConcurrentDictionary<string, Lazy<ParentSymbolTable>>(StringComparer.Ordinal);
        ParentSymbolTable Table(string parent, string file) =>
            parentTables.GetOrAdd(parent, _ => new Lazy<ParentSymbolTable>(() => ParentSymbolTable.Load(file))).Value;

        var results = new ConcurrentBag<ObjectDiff>();
        string outDir = Directory.CreateDirectory(Path.Combine(_work, "diff")).FullName;
        var indexed = changed.Select((o, i) => (o, i)).ToList();
        try
        {
        Parallel.ForEach(indexed, new ParallelOptions { CancellationToken = cancel, MaxDegreeOfParallelism = Math.Max(1, request.Jobs) }, item =>
        {
            var (obj, index) = item;
            string parent, parentFile;
            if (request.OotModule != null) (parent, parentFile) = (ootName, request.OotModule);
            else if (ownership.TryGetValue(obj, out var module)) (parent, parentFile) = (module.Name, ModuleFile(entry, module));
            else (parent, parentFile) = ("vmlinux", request.Vmlinux!);
            var watch = Stopwatch.StartNew();
            var options = new DiffOptions
            {
                Parent = Table(parent, parentFile),
                ParentName = parent,
                Exports = exports,
                PatchName = request.Name,
                SpecialSizes = sizes,
                KeepDebugInfo = !request.StripDebug,
            };
            using var original = ElfObject.Read(Path.Combine(tree.ObjRoot, obj));
            using var changedObject = ElfObject.Read(patched[obj]);
            var result = ObjectDiffer.Diff(original, changedObject, options, reporter);
            string? output = null;
            if (result.Outcome == DiffOutcome.Patched)
            {
                AddCallbackSymbols(result, parent, obj);
                output = Path.Combine(outDir, $"{index}-{Path.GetFileName(obj)}");
                ElfWriter.Write(result.Output!, output, new ElfWriteOptions { CompactStringTables = true });
            }
            reporter.Info($"diffed {obj} ({parent}): {Describe(result)} [{watch.ElapsedMilliseconds} ms]");
            results.Add(new ObjectDiff(obj, parent, result, output));
        });
        }
        catch (AggregateException e)
        {
            // Parallel.ForEach wraps what the diffs threw; the user sees the first real error, not the wrapper.
            var inner = e.Flatten().InnerExceptions;
            throw inner.FirstOrDefault(x => x is OperationCanceledException)
                ?? inner.FirstOrDefault(x => x is KpkException)
                ?? inner[0];
        }

        var ordered = results.OrderBy(r => r.Object, StringComparer.Ordinal).ToList();
        foreach (var r in ordered) foreach (var w in r.Result.Warnings) Warn($"{r.Object}: {w}");
        var unsupported = ordered.Where(r => r.Result.Outcome == DiffOutcome.Unsupported).ToList();
        if (unsupported.Count > 0)
            throw new KpkException("the change cannot be live patched:\n" +
                string.Join("\n", unsupported.SelectMany(r => r.Result.Errors.Select(e => $"  {SourceOf(r.Object)}: {e}"))), ExitCodes.Unsupported);
        var useful = ordered.Where(r => r.Result.Outcome == DiffOutcome.Patched).ToList();
        if (useful.Count == 0) throw new KpkException("no functional changes: the rebuilt objects differ in nothing a live patch carries", ExitCodes.NoChange);
        return useful;
    }

    private static string SourceOf(string obj) => Path.ChangeExtension(obj, ".c");

    private static string Describe(DiffResult r) => r.Outcome switch
    {
        DiffOutcome.Patched => $"{r.Functions.Count} replaced ({string.Join(", ", r.Functions.Select(f => f.Name))}), {r.New.Count} new, {r.Bindings.Count} bound at load",
        DiffOutcome.NoChange => "no change",
        _ => "cannot be patched",
    };

    /// <summary>The module file whose symbols a module's patch binds to: the user's build's, else the cache's.</summary>
    private string ModuleFile(CacheEntry entry, Kbuild.ModuleInfo module)
    {
        if (request.ConfigDirectory != null)
        {
            string theirs = Path.Combine(request.ConfigDirectory, module.KoPath);
            if (File.Exists(theirs)) return theirs;
        }
        string ours = Path.Combine(entry.ObjDir, module.KoPath);
        if (!File.Exists(ours)) throw new KpkException($"{module.Name}: no {module.KoPath} in {request.ConfigDirectory ?? entry.ObjDir} to bind the patch to");
        return ours;
    }

    private ModuleSymvers LoadExports(CacheEntry entry)
    {
        foreach (var dir in new[] { request.ConfigDirectory, entry.ObjDir })
            if (dir != null && File.Exists(Path.Combine(dir, "Module.symvers"))) return ModuleSymvers.Load(Path.Combine(dir, "Module.symvers"));
        return ModuleSymvers.Empty;
    }

    /// <summary>
    /// The hook reaches each callback through a global symbol at the start of its section (the
    /// pointer the kpk-patch.h macro stored), named after the parent and the kind.
    /// </summary>
    private static void AddCallbackSymbols(DiffResult result, string parent, string obj)
    {
        foreach (var kind in result.Callbacks.Keys)
        {
            var section = result.Output!.FindSection(".kpk.callbacks." + kind) ?? result.Output.FindSection(".kpatch.callbacks." + kind)
                ?? throw new KpkException($"{obj}: the differ found a {kind} callback but kept no callback section");
            result.Output.AddSymbol(new ElfSymbol(HookSource.CallbackSymbol(parent, kind))
            {
                Binding = SymbolBinding.Global,
                Type = SymbolType.Object,
                Section = section,
                Value = 0,
                Size = 8,
            });
        }
    }

    // ---------------------------------------------------------------- module

    private sealed record LinkedParent(PatchedParent Parent, string Object)
    {
        public string Name => Parent.Name;
        public IReadOnlyList<ReplacedFunction> Functions => Parent.Functions;
    }

    private List<LinkedParent> LinkPerParent(List<ObjectDiff> results)
    {
        string moduleDir = Directory.CreateDirectory(Path.Combine(_work, "module")).FullName;
        var linked = new List<LinkedParent>();
        // vmlinux first, then modules by name: a stable hook.
        foreach (var group in results.GroupBy(r => r.Parent).OrderBy(g => g.Key == "vmlinux" ? "" : g.Key, StringComparer.Ordinal))
        {
            var callbacks = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var r in group)
                foreach (var kind in r.Result.Callbacks.Keys)
                    if (!callbacks.TryAdd(kind, HookSource.CallbackSymbol(group.Key, kind)))
                        throw new KpkException($"{r.Object}: a second {kind} callback for {group.Key} (one per patched object)");
            string output = Path.Combine(moduleDir, $"kpk-{group.Key}.o_shipped");
            var inputs = group.Select(r => r.Output!).ToList();
            if (inputs.Count == 1) File.Copy(inputs[0], output);
            else
            {
                reporter.Stage($"linking {inputs.Count} patch objects of {group.Key}");
                var r = Tool.Run(Linker, ["-r", "-o", output, .. inputs], moduleDir, cancel);
                if (!r.Ok) throw new KpkException($"{Linker} -r of the patch objects of {group.Key} failed:\n{r.Output.TrimEnd()}");
            }
            // With MODVERSIONS, modpost (5.19+) reads each object's symbol versions from its .cmd
            // file; kbuild writes none for a shipped object, and the patch object exports nothing.
            File.WriteAllText(Path.Combine(moduleDir, $".kpk-{group.Key}.o.cmd"), $"# {output}: a kpk patch object, no exported symbols\n");
            var functions = group.SelectMany(r => r.Result.Functions).ToList();
            linked.Add(new LinkedParent(new PatchedParent(group.Key, functions, callbacks), output));
        }
        return linked;
    }

    private string BuildModule(CacheEntry entry, List<LinkedParent> parents)
    {
        string moduleDir = Path.Combine(_work, "module");
        File.WriteAllText(Path.Combine(moduleDir, "kpk-hook.c"),
            HookSource.Generate(request.Name, parents.Select(p => p.Parent).ToList(), request.Replace, request.Description));
        File.WriteAllText(Path.Combine(moduleDir, "Makefile"),
            HookSource.Makefile(request.Name, parents.Select(p => $"kpk-{p.Name}.o")));
        string log = Path.Combine(_work, "module-build.log");
        reporter.Stage($"building the livepatch module {request.Name}.ko with kbuild; log: {log}");
        // modpost sees the .klp.sym.* references as undefined: they are resolved by the livepatch core, not the loader.
        var r = Make(["-C", entry.ObjDir, "M=" + moduleDir, "KBUILD_MODPOST_WARN=1", "V=1", .. MakeVariables(false), "modules"], log);
        string ko = Path.Combine(moduleDir, request.Name + ".ko");
        if (!r.Ok || !File.Exists(ko)) throw BuildFailure("building the livepatch module", log, keepLog: true);
        return ko;
    }

    // ---------------------------------------------------------------- helpers

    private KpkException BuildFailure(string what, string log, bool keepLog = false)
    {
        cancel.ThrowIfCancellationRequested();
        string kept = log;
        if (keepLog && !request.SkipCleanup)
        {
            // The work directory goes away; the log the message names must not.
            string dir = Directory.CreateDirectory(Path.Combine(request.CacheRoot, "logs")).FullName;
            kept = Path.Combine(dir, $"{request.Name}-{request.Id}-{Path.GetFileName(log)}");
            File.Copy(log, kept, overwrite: true);
        }
        var (location, command) = Kbuild.FirstError(kept);
        var sb = new StringBuilder($"{what} failed");
        if (location != null) sb.Append($":\n  {location}");
        if (command != null) sb.Append($"\n  compiled with: {command}");
        sb.Append($"\n  log: {kept}");
        return new KpkException(sb.ToString());
    }

    private void Warn(string message)
    {
        lock (_warnings) _warnings.Add(message);
        reporter.Warning(message);
    }

    private string RealPath(string path)
    {
        var r = Tool.Run("realpath", ["--", path], null, cancel);
        return r.Ok ? r.Output.Trim() : Path.GetFullPath(path);
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

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static void TryDeleteFile(string file)
    {
        try { File.Delete(file); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
