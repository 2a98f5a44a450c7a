using System.Text;

namespace Kpk.Cli.Compat;

/// <summary>What a kpatch-build command line asks of kpk create.</summary>
public sealed record KpatchBuildPlan
{
    /// <summary>kpk create's arguments (after "create"), values joined with '=' so none is read as an option.</summary>
    public required IReadOnlyList<string> CreateArguments { get; init; }
    /// <summary>What kpatch-build prints on stdout while reading its options (e.g. "DEBUG mode enabled").</summary>
    public required IReadOnlyList<string> Notices { get; init; }
    /// <summary>The module name kpatch-build would make: livepatch-NAME, file NAME.ko.</summary>
    public required string ModuleName { get; init; }
}

/// <summary>
/// kpatch-build 0.9's command line (kpatch-build [options] &lt;patch1 ... patchN&gt;) translated into
/// kpk create's: the same options, defaults and checks, its messages ("ERROR: ...") and exit statuses.
/// On Debian kpatch-build takes the running release, /usr/lib/debug/boot/vmlinux-RELEASE and
/// /boot/config-RELEASE; -a names another release and -r a source package, which become create's
/// --kernel and --source (the distribution-kernel path).
/// </summary>
public static class KpatchBuild
{
    public const string Program = "kpatch-build";

    /// <summary>Module names: kpatch-build keeps letters, digits, '_' and '-' and cuts at 48 (the kernel's name array is 56 bytes).</summary>
    public const int NameLength = 48;

    private static readonly GetoptOption[] Spec =
    [
        new('h', "help", false), new('a', "archversion", true), new('r', "sourcerpm", true), new('s', "sourcedir", true),
        new('c', "config", true), new('v', "vmlinux", true), new('j', "jobs", true), new('t', "target", true),
        new('n', "name", true), new('o', "output", true), new('d', "debug", false), new(null, "oot-module", true),
        new(null, "oot-module-src", true), new(null, "skip-gcc-check", false), new(null, "skip-compiler-check", false),
        new(null, "skip-cleanup", false), new('R', "non-replace", false),
    ];

    public static readonly string Usage = string.Join("\n",
        "usage: kpatch-build [options] <patch1 ... patchN>",
        "\t\tpatchN                  Input patchfile(s)",
        "\t\t-h, --help              Show this help message",
        "\t\t-a, --archversion       Specify the kernel arch version",
        "\t\t-r, --sourcerpm         Specify kernel source RPM (on Debian: the kernel source package or tarball)",
        "\t\t-s, --sourcedir         Specify kernel source directory",
        "\t\t-c, --config            Specify kernel config file",
        "\t\t-v, --vmlinux           Specify original vmlinux",
        "\t\t-j, --jobs              Specify the number of make jobs",
        "\t\t-t, --target            Specify custom kernel build targets",
        "\t\t-n, --name              Specify the name of the kpatch module",
        "\t\t-o, --output            Specify output folder",
        "\t\t-d, --debug             Keep scratch files and show more",
        "\t\t                        (can be specified multiple times)",
        "\t\t--oot-module            Enable patching out-of-tree module,",
        "\t\t                        specify current version of module",
        "\t\t--oot-module-src        Specify out-of-tree module source directory",
        "\t\t-R, --non-replace       Disable replace patch (replace is on by default)",
        "\t\t--skip-cleanup          Skip post-build cleanup",
        "\t\t--skip-compiler-check   Skip compiler version matching check",
        "\t\t                        (not recommended)") + "\n";

    /// <summary>kpatch-build's die(): "ERROR: message." on stderr, exit 1.</summary>
    public static CompatExit Die(string message, string stdout = "") => new(1, $"ERROR: {message}.\n", stdout);

    /// <summary>kpatch-build's warn-and-exit: "ERROR: message" (no full stop), exit 1.</summary>
    private static CompatExit Fail(string message, string stdout = "") => new(1, $"ERROR: {message}\n", stdout);

    /// <summary>kpatch-build's module_name_string: anything but [a-zA-Z0-9_-] becomes '-', then the first 48 characters.</summary>
    public static string ModuleNameString(string raw)
    {
        var sb = new StringBuilder(raw.Length);
        foreach (char c in raw) sb.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '-');
        string name = sb.ToString();
        return name.Length > NameLength ? name[..NameLength] : name;
    }

    /// <summary>The default name: the single patch's file name without .patch or .diff (else "patch"), prefixed livepatch-.</summary>
    public static string DefaultName(IReadOnlyList<string> patches)
    {
        string name = "patch";
        if (patches.Count == 1)
        {
            name = Path.GetFileName(patches[0]);
            if (name.EndsWith(".patch", StringComparison.Ordinal) || name.EndsWith(".diff", StringComparison.Ordinal))
                name = name[..name.LastIndexOf('.')];
        }
        return ModuleNameString("livepatch-" + name);
    }

    /// <summary>Where Debian's linux-image-RELEASE-dbg puts the kernel with symbols.</summary>
    public static string DebugVmlinux(string release) => $"/usr/lib/debug/boot/vmlinux-{release}";

    /// <summary>An out-of-tree module names the release it was built for in its vermagic, as modinfo shows.</summary>
    private static string OotRelease(CompatHost host, string module, string stdout) =>
        host.ModuleRelease(module) ?? throw Die($"out-of-tree module '{module}' has no vermagic", stdout);

    public static KpatchBuildPlan Translate(IReadOnlyList<string> args, CompatHost host)
    {
        GetoptResult parsed;
        try { parsed = GnuGetopt.Parse(args, Spec, Program); }
        catch (GnuGetopt.GetoptError e) { throw new CompatExit(1, e.Message + "\nERROR: getopt failed.\n"); }

        var notices = new List<string>();
        var create = new List<string>();
        string? srcRpm = null, srcDir = null, config = null, vmlinux = null, output = null, name = null, oot = null, ootSrc = null, arch = null;
        int debug = 0;
        bool skipCleanup = false, skipCompiler = false, nonReplace = false;
        var targets = new List<string>();
        var patches = new List<string>();
        int? jobs = null;
        string Stdout() => notices.Count == 0 ? "" : string.Join("\n", notices) + "\n";

        // In the order given, as kpatch-build's loop checks them: the first bad value stops it.
        foreach (var (option, value) in parsed.Options)
        {
            switch (option)
            {
                case "help": throw new CompatExit(0, Usage, Stdout());
                case "archversion": arch = value; break;
                case "sourcerpm":
                    if (!host.FileExists(host.Absolute(value!))) throw Die($"source rpm '{value}' not found", Stdout());
                    srcRpm = host.Absolute(value!);
                    break;
                case "sourcedir":
                    if (!host.DirectoryExists(host.Absolute(value!))) throw Die($"source dir '{value}' not found", Stdout());
                    srcDir = host.Absolute(value!);
                    break;
                case "config":
                    if (!host.FileExists(host.Absolute(value!))) throw Die($"config file '{value}' not found", Stdout());
                    config = host.Absolute(value!);
                    break;
                case "vmlinux":
                    if (!host.FileExists(host.Absolute(value!))) throw Die($"vmlinux file '{value}' not found", Stdout());
                    vmlinux = host.Absolute(value!);
                    break;
                case "jobs":
                    if (!int.TryParse(value, out int j) || j <= 0) throw Die($"Invalid number of make jobs '{value}'", Stdout());
                    jobs = j;
                    break;
                case "target": targets.Add(value!); break;
                case "name": name = ModuleNameString(value!); break;
                case "output":
                    if (!host.DirectoryExists(host.Absolute(value!))) throw Die($"output dir '{value}' not found", Stdout());
                    output = host.Absolute(value!);
                    break;
                case "debug":
                    if (++debug == 1) notices.Add("DEBUG mode enabled");
                    break;
                case "oot-module":
                    if (!host.FileExists(host.Absolute(value!))) throw Die($"out-of-tree module '{value}' not found", Stdout());
                    oot = host.Absolute(value!);
                    break;
                case "oot-module-src":
                    if (!host.DirectoryExists(host.Absolute(value!))) throw Die($"out-of-tree module source dir '{value}' not found", Stdout());
                    ootSrc = host.Absolute(value!);
                    break;
                case "non-replace": nonReplace = true; break;
                case "skip-cleanup":
                    notices.Add("Skipping cleanup");
                    skipCleanup = true;
                    break;
                case "skip-gcc-check":
                    notices.Add("DEPRECATED: --skip-gcc-check is deprecated, use --skip-compiler-check instead");
                    goto case "skip-compiler-check";
                case "skip-compiler-check":
                    notices.Add("WARNING: Skipping compiler version matching check (not recommended)");
                    skipCompiler = true;
                    break;
            }
        }
        foreach (string patch in parsed.Operands)
        {
            if (!host.FileExists(host.Absolute(patch))) throw Die($"patch file '{patch}' not found", Stdout());
            patches.Add(host.Absolute(patch));
        }
        if (patches.Count == 0) throw new CompatExit(1, "ERROR: no patch file(s) specified\n" + Usage, Stdout());
        if (arch != null && vmlinux != null) throw Die("--archversion is incompatible with --vmlinux", Stdout());
        if (srcRpm != null && arch != null) throw Fail("--archversion is incompatible with --sourcerpm", Stdout());
        if (oot != null && ootSrc == null) throw Fail("--oot-module requires --oot-module-src", Stdout());
        if (srcDir != null && arch != null) throw Fail("--archversion is incompatible with --sourcedir", Stdout());

        // The kernel: a source directory (its vmlinux and .config by default, the release from its
        // vmlinux), the out-of-tree module's release (its vermagic), or a distribution release.
        if (srcDir != null)
        {
            create.Add(srcDir);
            vmlinux ??= Path.Combine(srcDir, "vmlinux");
            if (!host.FileExists(vmlinux)) throw Die("can't find vmlinux", Stdout());
            if (oot != null) config ??= $"/boot/config-{OotRelease(host, oot, Stdout())}";
            notices.Add($"Using source directory at {srcDir}");
        }
        else if (oot != null)
        {
            string release = OotRelease(host, oot, Stdout());
            create.Add($"/lib/modules/{release}/build");
            vmlinux ??= DebugVmlinux(release);
            if (!host.FileExists(vmlinux)) throw Die($"linux-image-{release}-dbg not installed", Stdout());
            config ??= $"/boot/config-{release}";
        }
        else
        {
            // kpk fetches what is missing for a Debian release (source, config, debug vmlinux) with apt.
            string release = arch ?? host.RunningRelease;
            create.Add("--kernel=" + release);
            if (srcRpm != null) create.Add("--source=" + srcRpm);
            if (vmlinux == null && host.FileExists(DebugVmlinux(release))) vmlinux = DebugVmlinux(release);
            if (config == null && host.FileExists($"/boot/config-{release}")) config = $"/boot/config-{release}";
        }

        string moduleName = name ?? DefaultName(patches);
        foreach (string patch in patches) create.Add("--patch=" + patch);
        if (config != null) create.Add("--config=" + config);
        if (vmlinux != null) create.Add("--vmlinux=" + vmlinux);
        if (jobs != null) create.Add($"--jobs={jobs}");
        foreach (string target in targets) create.Add("--target=" + target);
        if (oot != null) create.AddRange(["--oot-module=" + oot, "--oot-module-src=" + ootSrc]);
        create.Add("--name=" + moduleName);
        create.Add("--output=" + (output ?? host.WorkingDirectory));
        if (nonReplace) create.Add("--non-replace");
        if (skipCompiler) create.Add("--skip-compiler-check");
        // -d keeps the scratch files (kpk's work directory) and shows more of what happens.
        if (skipCleanup || debug > 0) create.Add("--skip-cleanup");
        for (int i = 0; i < Math.Min(debug, 2); i++) create.Add("--verbose");
        return new KpatchBuildPlan { CreateArguments = create, Notices = notices, ModuleName = moduleName };
    }
}
