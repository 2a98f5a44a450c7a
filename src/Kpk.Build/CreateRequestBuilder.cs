using Kpk.Core;

namespace Kpk.Build;

/// <summary>The options of <c>kpk create</c> as given on the command line, before validation.</summary>
public sealed record CreateArguments
{
    /// <summary>SRC or --source: a tree or a tarball; optional with --kernel.</summary>
    public string? KernelSource { get; init; }
    public string? KernelRelease { get; init; }
    public string? Symvers { get; init; }
    public string? Kallsyms { get; init; }
    public bool FullBuild { get; init; }
    public IReadOnlyList<string> Patches { get; init; } = [];
    public string PatchOptions { get; init; } = "-p1";
    public string? DiffExt { get; init; }
    public string? GitCommit { get; init; }
    public string? GitPreRef { get; init; }
    public bool Prebuild { get; init; }
    public bool Series { get; init; }
    public string? Config { get; init; }
    public string? Vmlinux { get; init; }
    public int? Jobs { get; init; }
    public IReadOnlyList<string> Targets { get; init; } = [];
    public string? OotModule { get; init; }
    public string? OotModuleSource { get; init; }
    public string? Cc { get; init; }
    public bool SkipCompilerCheck { get; init; }
    public string? Name { get; init; }
    public string OutputDirectory { get; init; } = ".";
    public string? Id { get; init; }
    public bool NonReplace { get; init; }
    public string? Description { get; init; }
    public bool SkipCleanup { get; init; }
    public bool StripDebug { get; init; }
    public string? Supported { get; init; }
}

/// <summary>
/// Turns command-line arguments and the environment (CC, CROSS_COMPILE, LLVM, CONCURRENCY_LEVEL,
/// KPK_CACHE) into a validated <see cref="CreateRequest"/>, with every contradiction reported
/// as a clear error before anything is built.
/// </summary>
public static class CreateRequestBuilder
{
    public sealed record Result(CreateRequest Request, IReadOnlyList<string> Notes);

    public static Result Build(CreateArguments a, IReadOnlyDictionary<string, string?> env)
    {
        var notes = new List<string>();
        var modes = new List<string>();
        if (a.Patches.Count > 0) modes.Add("--patch");
        if (a.DiffExt != null) modes.Add("--diffext");
        if (a.GitCommit != null) modes.Add("--git");
        if (a.Prebuild) modes.Add("--prebuild");
        if (modes.Count == 0) throw new KpkException("say what to change: --patch FILE, --diffext EXT, --git COMMIT, or --prebuild to only build the original");
        if (modes.Count > 1) throw new KpkException($"{string.Join(" and ", modes)}: give exactly one of --patch, --diffext, --git, --prebuild");
        var kind = a.Patches.Count > 0 ? ChangeKind.Patches : a.DiffExt != null ? ChangeKind.DiffExt : a.GitCommit != null ? ChangeKind.Git : ChangeKind.Prebuild;

        if (a.DiffExt != null && (a.DiffExt.Length == 0 || a.DiffExt.Contains('/') || a.DiffExt.StartsWith('.')))
            throw new KpkException($"--diffext '{a.DiffExt}': give the extension without a dot, e.g. --diffext new");
        if (a.GitPreRef != null && (!a.GitPreRef.StartsWith("refs/", StringComparison.Ordinal) || a.GitPreRef.Length == 5 || a.GitPreRef.Contains("..") || a.GitPreRef.Any(char.IsWhiteSpace)))
            throw new KpkException($"--pre-ref '{a.GitPreRef}': give a git ref under refs/, e.g. refs/ksplice/pre");
        if (a.KernelSource == null && a.KernelRelease == null)
            throw new KpkException("give the kernel's source tree (SRC or --source DIR|TARBALL), or --kernel RELEASE for a distribution kernel");
        if (a.Vmlinux != null && a.Kallsyms != null)
            throw new KpkException("--vmlinux and --kallsyms: give one of them, the kernel's symbols from its vmlinux or from its /proc/kallsyms");
        if (a.Supported != null && !CreateRequest.SupportedValues.Contains(a.Supported))
            throw new KpkException($"--supported {a.Supported}: give {string.Join(" or ", CreateRequest.SupportedValues)} (the supported: tag SUSE's kernels check at load)");
        if ((a.OotModule == null) != (a.OotModuleSource == null))
            throw new KpkException("--oot-module and --oot-module-src go together: the module as loaded and its source");
        if (a.OotModule != null && !a.OotModule.EndsWith(".ko", StringComparison.Ordinal))
            throw new KpkException($"--oot-module {a.OotModule}: expected the module's .ko file");

        // --config FILE or DIR (a build directory with .config, System.map, Module.symvers).
        string? config = null, configDir = null;
        if (a.Config != null)
        {
            if (Directory.Exists(a.Config))
            {
                configDir = Path.GetFullPath(a.Config);
                config = Path.Combine(configDir, ".config");
                if (!File.Exists(config)) throw new KpkException($"--config {a.Config}: the directory holds no .config");
            }
            else if (File.Exists(a.Config)) config = Path.GetFullPath(a.Config);
            else throw new KpkException($"--config {a.Config}: no such file or directory");
        }

        int jobs = a.Jobs ?? (int.TryParse(env.GetValueOrDefault("CONCURRENCY_LEVEL"), out int level) ? level : Environment.ProcessorCount);
        if (jobs < 1) throw new KpkException($"-j {jobs}: the number of jobs must be at least 1");

        string? cc = a.Cc ?? NonEmpty(env.GetValueOrDefault("CC"));
        string? cross = NonEmpty(env.GetValueOrDefault("CROSS_COMPILE"));
        bool llvm = env.GetValueOrDefault("LLVM") is { } l && l.Length > 0 && l != "0";

        string name;
        if (a.Name != null) name = ModuleNames.Validate(a.Name);
        else name = kind switch
        {
            ChangeKind.Patches => ModuleNames.FromPatchFile(a.Patches[0]),
            ChangeKind.DiffExt => ModuleNames.Sanitize("kpk_" + a.DiffExt),
            ChangeKind.Git => ModuleNames.Sanitize("kpk_" + a.GitCommit),
            _ => "kpk_prebuild",
        };

        bool replace = !a.NonReplace;
        if (a.Series && replace)
        {
            replace = false;
            notes.Add("--series: the module will not replace earlier live patches (it stacks on them)");
        }

        string cache = NonEmpty(env.GetValueOrDefault("KPK_CACHE")) is { } c ? Path.GetFullPath(c) : BuildCache.DefaultRoot();
        var request = new CreateRequest
        {
            KernelSource = a.KernelSource != null ? Path.GetFullPath(a.KernelSource) : null,
            KernelRelease = a.KernelRelease,
            Symvers = a.Symvers != null ? Path.GetFullPath(a.Symvers) : null,
            Kallsyms = a.Kallsyms != null ? Path.GetFullPath(a.Kallsyms) : null,
            FullBuild = a.FullBuild,
            Change = kind,
            Patches = a.Patches.Select(Path.GetFullPath).ToList(),
            PatchOptions = a.PatchOptions,
            DiffExt = a.DiffExt,
            GitCommit = a.GitCommit,
            GitPreRef = a.GitPreRef ?? CreatePipeline.PreRef,
            Series = a.Series,
            Config = config,
            ConfigDirectory = configDir,
            Vmlinux = a.Vmlinux != null ? Path.GetFullPath(a.Vmlinux) : null,
            Jobs = jobs,
            Targets = a.Targets,
            OotModule = a.OotModule != null ? Path.GetFullPath(a.OotModule) : null,
            OotModuleSource = a.OotModuleSource != null ? Path.GetFullPath(a.OotModuleSource) : null,
            Cc = cc,
            CrossCompile = cross,
            Llvm = llvm,
            SkipCompilerCheck = a.SkipCompilerCheck,
            Name = name,
            OutputDirectory = Path.GetFullPath(a.OutputDirectory),
            Id = a.Id != null ? ModuleNames.ValidateId(a.Id) : ModuleNames.RandomId(),
            Replace = replace,
            Description = a.Description,
            SkipCleanup = a.SkipCleanup,
            StripDebug = a.StripDebug,
            Supported = a.Supported,
            CacheRoot = cache,
        };
        return new Result(request, notes);
    }

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
