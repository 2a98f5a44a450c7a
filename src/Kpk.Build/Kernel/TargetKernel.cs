namespace Kpk.Build;

/// <summary>How the kernel's symbols are known: its vmlinux with a symbol table, or a copy of its /proc/kallsyms.</summary>
public sealed record KernelSymbols(string Path, bool IsKallsyms)
{
    public override string ToString() => IsKallsyms ? $"{Path} (kallsyms)" : Path;
}

/// <summary>
/// The kernel a live patch is for, as the build stages need it: its source tree, config,
/// exported symbols with their CRCs (Module.symvers), the symbols the patch binds to, its
/// release, where its module files are, and, when the user built it, the build directory whose
/// kbuild records say which object is made from which files.
/// </summary>
public sealed record TargetKernel
{
    public required string Source { get; init; }
    public required string ConfigFile { get; init; }
    public string? Symvers { get; init; }
    /// <summary>vmlinux or kallsyms; null only when nothing is to be bound (--prebuild).</summary>
    public KernelSymbols? Symbols { get; init; }
    /// <summary>The release the module's vermagic must carry (uname -r of the target).</summary>
    public string? Release { get; init; }
    public string? BuildId { get; init; }
    /// <summary>Where a module's .ko is found by its kbuild path (fs/binfmt_misc.ko): a build directory, or lib/modules/RELEASE/kernel.</summary>
    public string? ModulesRoot { get; init; }
    /// <summary>A build directory holding kbuild's .cmd records of every object (the user's own build).</summary>
    public string? RecordsDirectory { get; init; }
    /// <summary>The source root those records name (kbuild writes absolute source paths for an O= build).</summary>
    public string? RecordedSourceRoot { get; init; }
    /// <summary>The distribution package the kernel came from ("linux-image-6.1.0-57-cloud-amd64"), and its version.</summary>
    public string? Package { get; init; }
    public string? PackageVersion { get; init; }
}
