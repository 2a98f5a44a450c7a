namespace Kpk.Build;

/// <summary>
/// How kpk runs kbuild for one kernel: jobs, compiler, cross prefix, LLVM, and the release the
/// target kernel reports (a distribution sets it on make's command line, as Debian's
/// KERNELRELEASE override does, so modules carry the running kernel's vermagic).
/// </summary>
public sealed record KbuildMake(int Jobs, string? Cc, string? CrossCompile, bool Llvm, string? KernelRelease, CancellationToken Cancel)
{
    /// <summary>Each function and variable in a section of its own: what the differ compares.</summary>
    public const string KernelCFlags = "-ffunction-sections -fdata-sections";

    public string Linker => Llvm ? "ld.lld" : (CrossCompile ?? "") + "ld";

    public IReadOnlyList<string> CompilerCommand =>
        Cc != null ? Tool.Words(Cc) : Llvm ? ["clang"] : [(CrossCompile ?? "") + "gcc"];

    public List<string> Variables(bool withKcflags)
    {
        var v = new List<string> { $"-j{Math.Max(1, Jobs)}" };
        if (withKcflags) v.Add("KCFLAGS=" + KernelCFlags);
        if (Cc != null) v.Add("CC=" + Cc);
        if (CrossCompile != null) v.Add("CROSS_COMPILE=" + CrossCompile);
        if (Llvm) v.Add("LLVM=1");
        if (KernelRelease != null) v.Add("KERNELRELEASE=" + KernelRelease);
        return v;
    }

    public ToolResult Run(IEnumerable<string> args, string log, Action<string>? onLine = null) =>
        Tool.Run("make", args, null, Cancel, log, onLine: onLine);

    /// <summary>A make of the kernel build itself (-C SOURCE O=OBJ).</summary>
    public ToolResult Kernel(CacheEntry entry, IEnumerable<string> targets, string log, bool verbose = false, bool kcflags = true, Action<string>? onLine = null) =>
        Run(["-C", entry.SourceDir, "O=" + entry.ObjDir, .. Variables(kcflags), .. verbose ? ["V=1"] : Array.Empty<string>(), .. targets], log, onLine);

    /// <summary>A make of an external module directory against the kernel build (M=DIR).</summary>
    public ToolResult External(CacheEntry entry, string dir, IEnumerable<string> targets, string log, bool kcflags, params string[] extra) =>
        Run(["-C", entry.ObjDir, "M=" + dir, .. extra, .. Variables(kcflags), .. targets], log);

    /// <summary>
    /// The compiler a kernel's config names (CONFIG_CC_VERSION_TEXT="gcc-12 (Debian ...) 12.2.0"
    /// gives gcc-12) when it is on PATH: configuring with it leaves the config exactly as the
    /// kernel was built, where another spelling of the same compiler would rewrite that line.
    /// </summary>
    public static string? ConfiguredCompiler(string configFile)
    {
        string? text = Kbuild.ConfigValue(configFile, "CONFIG_CC_VERSION_TEXT");
        if (string.IsNullOrEmpty(text)) return null;
        string program = text.Split(' ')[0];
        if (program.Length == 0 || program.Contains('/')) return null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, program))) return program;
        return null;
    }
}
