namespace Kpk.Build;

/// <summary>Where the change comes from: exactly one per run.</summary>
public enum ChangeKind
{
    /// <summary>One or more patch files, applied in order.</summary>
    Patches,
    /// <summary>Each <c>X.EXT</c> in the tree is the new version of <c>X</c>.</summary>
    DiffExt,
    /// <summary>The change from <c>refs/kpk/pre</c> to a commit.</summary>
    Git,
    /// <summary>No change: only build and cache the original.</summary>
    Prebuild,
}

/// <summary>Everything <c>kpk create</c> was asked to do, already validated by <see cref="CreateRequestValidator"/>.</summary>
public sealed record CreateRequest
{
    /// <summary>The source tree or tarball (null with --kernel: the distribution's linux-source package).</summary>
    public string? KernelSource { get; init; }
    /// <summary>--kernel RELEASE: a Debian kernel by its release; its parts are found or fetched with apt.</summary>
    public string? KernelRelease { get; init; }
    /// <summary>The kernel's Module.symvers (exported symbols and their CRCs).</summary>
    public string? Symvers { get; init; }
    /// <summary>A copy of the target's /proc/kallsyms, instead of a vmlinux with symbols.</summary>
    public string? Kallsyms { get; init; }
    /// <summary>Build the whole original kernel instead of only the objects the change affects.</summary>
    public bool FullBuild { get; init; }
    public ChangeKind Change { get; init; }
    public IReadOnlyList<string> Patches { get; init; } = [];
    /// <summary>Options handed to patch(1), split on blanks.</summary>
    public string PatchOptions { get; init; } = "-p1";
    public string? DiffExt { get; init; }
    public string? GitCommit { get; init; }
    /// <summary>The git ref that names the original (<c>refs/kpk/pre</c>; ksplice-create's is <c>refs/ksplice/pre</c>).</summary>
    public string GitPreRef { get; init; } = CreatePipeline.PreRef;
    /// <summary>Take the tree's current state as the new original (patches stacked on earlier ones; implies non-replace).</summary>
    public bool Series { get; init; }

    /// <summary>The .config file (resolved from --config FILE|DIR).</summary>
    public string? Config { get; init; }
    /// <summary>The directory --config named, when it was one (System.map, Module.symvers, module .ko files).</summary>
    public string? ConfigDirectory { get; init; }
    public string? Vmlinux { get; init; }
    public int Jobs { get; init; } = Environment.ProcessorCount;
    /// <summary>make targets of the builds; empty = vmlinux and modules.</summary>
    public IReadOnlyList<string> Targets { get; init; } = [];
    public string? OotModule { get; init; }
    public string? OotModuleSource { get; init; }

    /// <summary>The compiler command (may start with a launcher: <c>ccache gcc</c>); null = make's default.</summary>
    public string? Cc { get; init; }
    public string? CrossCompile { get; init; }
    public bool Llvm { get; init; }
    public bool SkipCompilerCheck { get; init; }

    public required string Name { get; init; }
    public required string OutputDirectory { get; init; }
    public required string Id { get; init; }
    public bool Replace { get; init; } = true;
    public string? Description { get; init; }
    public bool SkipCleanup { get; init; }
    /// <summary>Leave the DWARF of the patched objects out of the module (it is carried by default).</summary>
    public bool StripDebug { get; init; }
    /// <summary>
    /// The module's <c>supported:</c> modinfo tag, <c>yes</c> or <c>external</c> (SUSE's kernels refuse a
    /// module without one at <c>unsupported=0</c>); null writes none.
    /// </summary>
    public string? Supported { get; init; }

    /// <summary>The values <see cref="Supported"/> may take: the ones SUSE's kernel loads at every setting.</summary>
    public static readonly string[] SupportedValues = ["yes", "external"];

    /// <summary>The cache root (<c>$KPK_CACHE</c>, else <c>~/.cache/kpk</c>).</summary>
    public required string CacheRoot { get; init; }
}
