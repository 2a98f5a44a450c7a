using System.CommandLine;
using System.Text.Json;
using Kpk.Build;
using Kpk.Core;

namespace Kpk.Cli.Commands;

/// <summary>
/// <c>kpk create</c>: a livepatch module from a source change and the user's kernel tree. The
/// drop-in command lines (kpatch-build, ksplice-create) are translated into this command's
/// arguments and run through <see cref="Run"/>, so there is one way from options to a build.
/// </summary>
public static class CreateCommand
{
    /// <summary>The options of create, kept so a parse of it can be read back.</summary>
    public sealed record Options(
        Argument<string?> Source, Option<string?> SourceOption, Option<string?> Kernel, Option<string?> Symvers, Option<string?> Kallsyms,
        Option<bool> FullBuild, Option<string[]> Patch, Option<string> PatchOpt, Option<string?> DiffExt, Option<string?> Git,
        Option<string?> PreRef, Option<bool> Prebuild, Option<bool> Series, Option<string?> Config, Option<string?> Vmlinux,
        Option<int?> Jobs, Option<string[]> Target, Option<string?> OotModule, Option<string?> OotSource, Option<string?> Cc,
        Option<bool> SkipCc, Option<string?> Name, Option<string> Output, Option<string?> Id, Option<bool> NonReplace,
        Option<string?> Description, Option<bool> SkipCleanup, Option<bool> StripDebug, Option<string?> Supported, Option<bool> Json, Option<int> Verbose);

    /// <summary>The create command and the options it was made with.</summary>
    public sealed record CreateVerb(Command Command, Options Options);

    public static Command Create() => Verb().Command;

    public static CreateVerb Verb()
    {
        var o = new Options(
            new Argument<string?>("KERNEL_SOURCE") { Description = "The kernel source tree (or its tarball) the running kernel was built from (never modified); optional with --kernel", Arity = ArgumentArity.ZeroOrOne },
            new Option<string?>("--source") { Description = "The kernel source tree or tarball (the same as KERNEL_SOURCE)" },
            new Option<string?>("--kernel") { Description = "A Debian kernel by release (uname -r): source, config, Module.symvers and the debug vmlinux are found or fetched with apt" },
            new Option<string?>("--symvers") { Description = "The kernel's Module.symvers (exported symbols and their CRCs)" },
            new Option<string?>("--kallsyms") { Description = "A copy of the target's /proc/kallsyms, instead of a vmlinux with symbols" },
            new Option<bool>("--full-build") { Description = "Build the whole original kernel once (as kpatch-build does) instead of only the objects the change affects" },
            new Option<string[]>("--patch") { Description = "A patch to apply (repeatable, applied in order)", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false },
            new Option<string>("--patch-opt", "-p") { Description = "Options for patch(1), e.g. --patch-opt=-p0", DefaultValueFactory = _ => "-p1" },
            new Option<string?>("--diffext") { Description = "Each X.EXT in the tree is the new version of X" },
            new Option<string?>("--git") { Description = $"The change from the pre ref ({CreatePipeline.PreRef}, made from HEAD when missing) to COMMIT" },
            new Option<string?>("--pre-ref") { Description = $"The git ref naming the original for --git and --series (default {CreatePipeline.PreRef})", HelpName = "REF" },
            new Option<bool>("--prebuild") { Description = "Only build and cache the original kernel" },
            new Option<bool>("--series") { Description = "The tree's current state is the original (an update stacked on earlier ones; implies --non-replace)" },
            new Option<string?>("--config") { Description = "The kernel's .config, or a build directory holding .config (and System.map, Module.symvers, modules)" },
            new Option<string?>("--vmlinux") { Description = "The running kernel's vmlinux, with symbols" },
            new Option<int?>("--jobs", "-j") { Description = "Parallel jobs (default: CONCURRENCY_LEVEL, else the number of CPUs)" },
            new Option<string[]>("--target", "-t") { Description = "make target of the original build (repeatable; default vmlinux and modules)", AllowMultipleArgumentsPerToken = false },
            new Option<string?>("--oot-module") { Description = "Patch this out-of-tree module (.ko as loaded)" },
            new Option<string?>("--oot-module-src") { Description = "The out-of-tree module's source directory (the patch applies there)" },
            new Option<string?>("--cc") { Description = "The compiler, launcher included (e.g. \"ccache gcc\"); default: $CC, else gcc (with $CROSS_COMPILE) or clang with LLVM=1" },
            new Option<bool>("--skip-compiler-check") { Description = "Do not compare the compiler with the one recorded in vmlinux" },
            new Option<string?>("--name", "-n") { Description = "Module name (default: from the first patch's file name)" },
            new Option<string>("--output", "-o") { Description = "Where NAME.ko and kpk-ID.tar.gz go", DefaultValueFactory = _ => "." },
            new Option<string?>("--id") { Description = "The patch id (default: 8 random characters)" },
            new Option<bool>("--non-replace", "-R") { Description = "Do not atomically replace earlier live patches" },
            new Option<string?>("--description") { Description = "Description recorded in the module and the manifest" },
            new Option<bool>("--skip-cleanup") { Description = "Keep the work directory and print where it is" },
            new Option<bool>("--strip-debug") { Description = "Leave the DWARF of the replaced functions out of the module (kept by default, for gdb, crash and perf)" },
            new Option<string?>("--supported") { Description = "Put supported: yes|external into the module's modinfo (SUSE kernels refuse unsupported modules at unsupported=0)", HelpName = "yes|external" },
            CommonOptions.Json(),
            CommonOptions.Verbose());
        var cmd = new Command("create", "Build a livepatch module that applies a source change to the running kernel")
        {
            o.Source, o.SourceOption, o.Kernel, o.Symvers, o.Kallsyms, o.FullBuild, o.Patch, o.PatchOpt, o.DiffExt, o.Git, o.PreRef,
            o.Prebuild, o.Series, o.Config, o.Vmlinux, o.Jobs, o.Target, o.OotModule, o.OotSource, o.Cc, o.SkipCc, o.Name, o.Output,
            o.Id, o.NonReplace, o.Description, o.SkipCleanup, o.StripDebug, o.Supported, o.Json, o.Verbose,
        };
        var verb = new CreateVerb(cmd, o);
        cmd.SetAction(pr =>
        {
            var outcome = Run(verb, pr);
            if (pr.GetValue(o.Json)) PrintJson(outcome);
            else if (outcome.ModuleFile != null)
            {
                foreach (var f in outcome.Functions) Console.Out.WriteLine($"replaces {f.Name} in {f.ParentObject}{(f.Sympos != 0 ? $" (sympos {f.Sympos})" : "")}");
                Console.Out.WriteLine(outcome.ModuleFile);
                Console.Out.WriteLine(outcome.Archive);
            }
            return ExitCodes.Ok;
        });
        return verb;
    }

    /// <summary>The arguments of a parse of the create command, as the request builder takes them.</summary>
    public static CreateArguments Arguments(CreateVerb verb, ParseResult pr)
    {
        var o = verb.Options;
        return new CreateArguments
        {
            KernelSource = Both(pr.GetValue(o.Source), pr.GetValue(o.SourceOption)),
            KernelRelease = pr.GetValue(o.Kernel),
            Symvers = pr.GetValue(o.Symvers),
            Kallsyms = pr.GetValue(o.Kallsyms),
            FullBuild = pr.GetValue(o.FullBuild),
            Patches = pr.GetValue(o.Patch) ?? [],
            PatchOptions = pr.GetValue(o.PatchOpt)!,
            DiffExt = pr.GetValue(o.DiffExt),
            GitCommit = pr.GetValue(o.Git),
            GitPreRef = pr.GetValue(o.PreRef),
            Prebuild = pr.GetValue(o.Prebuild),
            Series = pr.GetValue(o.Series),
            Config = pr.GetValue(o.Config),
            Vmlinux = pr.GetValue(o.Vmlinux),
            Jobs = pr.GetValue(o.Jobs),
            Targets = pr.GetValue(o.Target) ?? [],
            OotModule = pr.GetValue(o.OotModule),
            OotModuleSource = pr.GetValue(o.OotSource),
            Cc = pr.GetValue(o.Cc),
            SkipCompilerCheck = pr.GetValue(o.SkipCc),
            Name = pr.GetValue(o.Name),
            OutputDirectory = pr.GetValue(o.Output)!,
            Id = pr.GetValue(o.Id),
            NonReplace = pr.GetValue(o.NonReplace),
            Description = pr.GetValue(o.Description),
            SkipCleanup = pr.GetValue(o.SkipCleanup),
            StripDebug = pr.GetValue(o.StripDebug),
            Supported = pr.GetValue(o.Supported),
        };
    }

    /// <summary>Validates a parse of the create command into a request and builds it; progress goes to stderr.</summary>
    public static CreateOutcome Run(CreateVerb verb, ParseResult pr)
    {
        var reporter = CliRunner.Reporter(pr.GetValue(verb.Options.Verbose));
        var request = Request(verb, pr);
        foreach (var note in request.Notes) reporter.Info(note);
        return new CreatePipeline(request.Request, reporter, CliRunner.Cancellation).Run();
    }

    public static CreateRequestBuilder.Result Request(CreateVerb verb, ParseResult pr) =>
        CreateRequestBuilder.Build(Arguments(verb, pr), Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value));

    /// <summary>KERNEL_SOURCE and --source name the same thing: one of them, or both alike.</summary>
    private static string? Both(string? positional, string? option)
    {
        if (positional != null && option != null && positional != option)
            throw new KpkException($"KERNEL_SOURCE {positional} and --source {option}: give the source once");
        return positional ?? option;
    }

    private static void PrintJson(CreateOutcome outcome) =>
        Console.Out.WriteLine(KpkJson.Serialize(new CreateView(outcome.ModuleFile, outcome.Archive, outcome.CacheEntry,
            outcome.CacheReused, outcome.OriginalBuild, outcome.ChangedObjects,
            outcome.Functions.Select(f => new FunctionView(f.Name, f.ParentObject, f.Sympos)).ToList(),
            outcome.Warnings, outcome.WorkDirectory, outcome.Manifest)));
}
