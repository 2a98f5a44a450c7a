namespace Kpk.Cli.Compat;

/// <summary>What a ksplice-create command line asks of kpk create.</summary>
public sealed record KsplicePlan(IReadOnlyList<string> CreateArguments, bool Prebuild, int Verbosity);

/// <summary>
/// ksplice-create's command line as its man page writes it, translated into kpk create's:
/// <c>ksplice-create [OPTIONS] {--patch=PATCH_FILE | --diffext=.EXT | --git=COMMIT | --prebuild} KERNEL_SOURCE</c>,
/// with ORIG_CONFIG (<c>--config=DIR</c>, default KERNEL_SOURCE/ksplice) a directory holding the
/// running kernel's <c>.config</c> and <c>System.map</c>. Options are read as ksplice's Getopt::Long
/// reads them (bundling: <c>-vv</c>, <c>-j4</c>; long names after <c>--</c>, abbreviated, any case;
/// <c>--noseries</c>); a bad command line prints the synopsis on stdout and exits 1, like pod2usage(1).
/// </summary>
public static class KspliceCreate
{
    public const string Program = "ksplice-create";
    /// <summary>ksplice's ref for the original state of a git tree.</summary>
    public const string PreRef = "refs/ksplice/pre";
    /// <summary>ksplice-create's exit status when the patch changes nothing.</summary>
    public const int NoChanges = 66;
    /// <summary>perl's die: exit status 255.</summary>
    public const int Died = 255;

    public static readonly string Usage = """
        Usage:
            ksplice-create [OPTIONS] --patch=PATCH_FILE KERNEL_SOURCE

            ksplice-create [OPTIONS] --diffext=EXTENSION KERNEL_SOURCE

            ksplice-create [OPTIONS] --git=COMMIT KERNEL_SOURCE

            ksplice-create [OPTIONS] --prebuild KERNEL_SOURCE


        """;

    private enum Kind { Flag, Negatable, Value, OptionalInt, Counter }

    private sealed record Spec(string Long, char? Short, Kind Kind);

    private static readonly Spec[] Options =
    [
        new("help", '?', Kind.Flag), new("version", null, Kind.Flag), new("verbose", 'v', Kind.Counter), new("quiet", 'q', Kind.Counter),
        new("id", null, Kind.Value), new("patch", null, Kind.Value), new("description", null, Kind.Value), new("diffext", null, Kind.Value),
        new("git", null, Kind.Value), new("prebuild", null, Kind.Flag), new("series", null, Kind.Negatable),
        new("build-modules", null, Kind.Negatable), new("jobs", 'j', Kind.OptionalInt), new("config", null, Kind.Value),
        new("patch-opt", null, Kind.Value),
    ];

    private static CompatExit UsageExit(string stderr = "") => new(1, stderr, Usage);

    /// <summary>Getopt::Long with bundling, for this option table: (name, value) in order, and the operands.</summary>
    private static (List<(string Name, string? Value)> Options, List<string> Operands) Parse(IReadOnlyList<string> args)
    {
        var options = new List<(string, string?)>();
        var operands = new List<string>();
        string warnings = "";
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--") { operands.AddRange(args.Skip(i + 1)); break; }
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2)
            {
                string body = arg[2..];
                int eq = body.IndexOf('=');
                string name = (eq < 0 ? body : body[..eq]).ToLowerInvariant();
                bool negated = false;
                var spec = FindLong(name);
                if (spec == null && (name.StartsWith("no-", StringComparison.Ordinal) || name.StartsWith("no", StringComparison.Ordinal)))
                {
                    string rest = name.StartsWith("no-", StringComparison.Ordinal) ? name[3..] : name[2..];
                    if (FindLong(rest) is { Kind: Kind.Negatable } n) { spec = n; negated = true; }
                }
                if (spec == null) { warnings += $"Unknown option: {name}\n"; continue; }
                switch (spec.Kind)
                {
                    case Kind.Value:
                        if (eq >= 0) options.Add((spec.Long, body[(eq + 1)..]));
                        else if (i + 1 < args.Count) options.Add((spec.Long, args[++i]));
                        else warnings += $"Option {spec.Long} requires an argument\n";
                        break;
                    case Kind.OptionalInt or Kind.Counter:
                        string? number = eq >= 0 ? body[(eq + 1)..] : i + 1 < args.Count && IsInteger(args[i + 1]) ? args[++i] : null;
                        if (number != null && !IsInteger(number)) warnings += $"Value \"{number}\" invalid for option {spec.Long} (number expected)\n";
                        else options.Add((spec.Long, number));
                        break;
                    default:
                        if (eq >= 0) warnings += $"Option {spec.Long} does not take an argument\n";
                        else options.Add((spec.Long, negated ? "0" : null));
                        break;
                }
            }
            else if (arg.Length > 1 && arg[0] == '-')
            {
                for (int c = 1; c < arg.Length; c++)
                {
                    var spec = Options.FirstOrDefault(o => o.Short == arg[c]);
                    if (spec == null) { warnings += $"Unknown option: {arg[c]}\n"; continue; }
                    if (spec.Kind is Kind.OptionalInt or Kind.Counter)
                    {
                        // The digits that follow in the bundle, else the next argument when it is a number.
                        int end = c + 1;
                        while (end < arg.Length && char.IsAsciiDigit(arg[end])) end++;
                        string? number = end > c + 1 ? arg[(c + 1)..end] : end == arg.Length && i + 1 < args.Count && IsInteger(args[i + 1]) ? args[++i] : null;
                        options.Add((spec.Long, number));
                        c = end - 1;
                    }
                    else options.Add((spec.Long, null));
                }
            }
            else operands.Add(arg);
        }
        if (warnings.Length > 0) throw UsageExit(warnings);
        return (options, operands);
    }

    private static bool IsInteger(string s) => s.Length > 0 && s.All(char.IsAsciiDigit);

    private static Spec? FindLong(string name)
    {
        if (Options.FirstOrDefault(o => o.Long == name) is { } exact) return exact;
        var prefixed = Options.Where(o => o.Long.StartsWith(name, StringComparison.Ordinal)).ToList();
        return prefixed.Count == 1 ? prefixed[0] : null;
    }

    public static KsplicePlan Translate(IReadOnlyList<string> args, CompatHost host, IReadOnlyDictionary<string, string?> env)
    {
        var (options, operands) = Parse(args);
        string? Last(string n) => options.LastOrDefault(o => o.Name == n).Value;
        bool Given(string n) => options.Any(o => o.Name == n);
        bool Flag(string n) => options.LastOrDefault(o => o.Name == n) is { Name: not null } o && o.Value != "0";

        if (Given("version")) throw new CompatExit(0, "", $"Ksplice version 0.9.9 (kpk {KpkVersionText()})\n");
        if (Given("help") || operands.Count != 1) throw UsageExit();
        string? patch = Last("patch"), diffext = Last("diffext"), git = Last("git");
        bool prebuild = Given("prebuild");
        int actions = (patch != null ? 1 : 0) + (diffext != null ? 1 : 0) + (git != null ? 1 : 0) + (prebuild ? 1 : 0);
        if (actions != 1) throw UsageExit();

        string tree = host.Absolute(operands[0]);
        string origConfig;
        if (Last("config") is { } given)
        {
            origConfig = host.Absolute(given);
            if (origConfig == tree || origConfig.StartsWith(tree.TrimEnd('/') + "/", StringComparison.Ordinal))
                throw new CompatExit(Died, "Aborting: User-specified ORIG_CONFIG cannot be KERNEL_SOURCE or a subdirectory\n");
        }
        else origConfig = Path.Combine(tree, "ksplice");
        if (!host.DirectoryExists(origConfig)) throw new CompatExit(Died, $"Failed to find ORIG_CONFIG directory ({origConfig})\n");
        string systemMap = Path.Combine(origConfig, "System.map");
        if (!host.FileExists(systemMap)) throw new CompatExit(Died, "Failed to find System.map file in ORIG_CONFIG directory\n");
        if (Flag("build-modules"))
            throw new CompatExit(Died, "--build-modules: kpk does not build replacement on-disk modules; install the updated kernel package for those\n");

        var create = new List<string> { tree };
        if (patch != null) create.Add("--patch=" + host.Absolute(patch));
        if (diffext != null)
        {
            // ksplice appends EXTENSION as given: --diffext=.new pairs sys.c.new with sys.c, which is kpk's --diffext new.
            if (!diffext.StartsWith('.') || diffext.Length == 1)
                throw new CompatExit(Died, $"--diffext={diffext}: kpk pairs FILE.EXT with FILE; give the extension with its dot, as ksplice-create's own example does (--diffext=.prctl_fixed)\n");
            create.Add("--diffext=" + diffext[1..]);
        }
        if (git != null) create.Add("--git=" + git);
        if (prebuild) create.Add("--prebuild");
        create.Add("--pre-ref=" + PreRef);
        if (Flag("series")) create.Add("--series");
        // The running kernel's .config and System.map; without a .config there, the tree's own is used.
        if (host.FileExists(Path.Combine(origConfig, ".config"))) create.Add("--config=" + origConfig);
        create.Add("--kallsyms=" + systemMap);
        if (Last("id") is { } id) create.Add("--id=" + id);
        if (Last("description") is { } description) create.Add("--description=" + description);
        // Only the --patch-opt values are passed to patch, each one argument; kpk splits its --patch-opt on blanks.
        var patchOpts = options.Where(o => o.Name == "patch-opt").Select(o => o.Value!).ToList();
        if (patchOpts.Count > 0)
        {
            if (patchOpts.FirstOrDefault(p => p.Length == 0 || p.Any(char.IsWhiteSpace)) is { } spaced)
                throw new CompatExit(Died, $"--patch-opt='{spaced}': each --patch-opt is one argument to patch; kpk cannot pass one with blanks in it\n");
            if (diffext == null) create.Add("--patch-opt=" + string.Join(' ', patchOpts));
        }
        string? jobs = options.LastOrDefault(o => o.Name == "jobs") is { Name: not null } j ? j.Value ?? "0" : env.GetValueOrDefault("CONCURRENCY_LEVEL");
        if (jobs != null && int.TryParse(jobs, out int n) && n > 0) create.Add($"--jobs={n}");
        int verbosity = options.Sum(o => o.Name switch { "verbose" => o.Value is { } v ? int.Parse(v) : 1, "quiet" => -(o.Value is { } q ? int.Parse(q) : 1), _ => 0 });
        for (int i = 0; i < Math.Clamp(verbosity, 0, 2); i++) create.Add("--verbose");
        create.Add("--output=" + host.WorkingDirectory);
        return new KsplicePlan(create, prebuild, verbosity);
    }

    private static string KpkVersionText() => Kpk.Build.KpkVersion.Current;
}
