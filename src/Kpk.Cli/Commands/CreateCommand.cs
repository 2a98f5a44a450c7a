using System.CommandLine;
using System.Text.Json;
using Kpk.Build;
using Kpk.Core;

namespace Kpk.Cli.Commands;

/// <summary><c>kpk create</c>: a livepatch module from a source change and the user's kernel tree.</summary>
public static class CreateCommand
{
    public static Command Create()
    {
        var source = new Argument<string?>("KERNEL_SOURCE") { Description = "The kernel source tree (or its tarball) the running kernel was built from (never modified); optional with --kernel", Arity = ArgumentArity.ZeroOrOne };
        var sourceOption = new Option<string?>("--source") { Description = "The kernel source tree or tarball (the same as KERNEL_SOURCE)" };
        var kernel = new Option<string?>("--kernel") { Description = "A Debian kernel by release (uname -r): source, config, Module.symvers and the debug vmlinux are found or fetched with apt" };
        var symvers = new Option<string?>("--symvers") { Description = "The kernel's Module.symvers (exported symbols and their CRCs)" };
        var kallsyms = new Option<string?>("--kallsyms") { Description = "A copy of the target's /proc/kallsyms, instead of a vmlinux with symbols" };
        var fullBuild = new Option<bool>("--full-build") { Description = "Build the whole original kernel once (as kpatch-build does) instead of only the objects the change affects" };
        var patch = new Option<string[]>("--patch") { Description = "A patch to apply (repeatable, applied in order)", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        var patchOpt = new Option<string>("--patch-opt", "-p") { Description = "Options for patch(1), e.g. --patch-opt=-p0", DefaultValueFactory = _ => "-p1" };
        var diffext = new Option<string?>("--diffext") { Description = "Each X.EXT in the tree is the new version of X" };
        var git = new Option<string?>("--git") { Description = $"The change from {CreatePipeline.PreRef} (made from HEAD when missing) to COMMIT" };
        var prebuild = new Option<bool>("--prebuild") { Description = "Only build and cache the original kernel" };
        var series = new Option<bool>("--series") { Description = "The tree's current state is the original (an update stacked on earlier ones; implies --non-replace)" };
        var config = new Option<string?>("--config") { Description = "The kernel's .config, or a build directory holding .config (and System.map, Module.symvers, modules)" };
        var vmlinux = new Option<string?>("--vmlinux") { Description = "The running kernel's vmlinux, with symbols" };
        var jobs = new Option<int?>("--jobs", "-j") { Description = "Parallel jobs (default: CONCURRENCY_LEVEL, else the number of CPUs)" };
        var target = new Option<string[]>("--target", "-t") { Description = "make target of the original build (repeatable; default vmlinux and modules)", AllowMultipleArgumentsPerToken = false };
        var ootModule = new Option<string?>("--oot-module") { Description = "Patch this out-of-tree module (.ko as loaded)" };
        var ootSource = new Option<string?>("--oot-module-src") { Description = "The out-of-tree module's source directory (the patch applies there)" };
        var cc = new Option<string?>("--cc") { Description = "The compiler, launcher included (e.g. \"ccache gcc\"); default: $CC, else gcc (with $CROSS_COMPILE) or clang with LLVM=1" };
        var skipCc = new Option<bool>("--skip-compiler-check") { Description = "Do not compare the compiler with the one recorded in vmlinux" };
        var name = new Option<string?>("--name", "-n") { Description = "Module name (default: from the first patch's file name)" };
        var output = new Option<string>("--output", "-o") { Description = "Where NAME.ko and kpk-ID.tar.gz go", DefaultValueFactory = _ => "." };
        var id = new Option<string?>("--id") { Description = "The patch id (default: 8 random characters)" };
        var nonReplace = new Option<bool>("--non-replace", "-R") { Description = "Do not atomically replace earlier live patches" };
        var description = new Option<string?>("--description") { Description = "Description recorded in the module and the manifest" };
        var skipCleanup = new Option<bool>("--skip-cleanup") { Description = "Keep the work directory and print where it is" };
        var stripDebug = new Option<bool>("--strip-debug") { Description = "Leave the DWARF of the replaced functions out of the module (kept by default, for gdb, crash and perf)" };
        var json = CommonOptions.Json();
        var verbose = CommonOptions.Verbose();
        var cmd = new Command("create", "Build a livepatch module that applies a source change to the running kernel")
        {
            source, sourceOption, kernel, symvers, kallsyms, fullBuild, patch, patchOpt, diffext, git, prebuild, series, config, vmlinux, jobs, target, ootModule, ootSource,
            cc, skipCc, name, output, id, nonReplace, description, skipCleanup, stripDebug, json, verbose,
        };
        cmd.SetAction(pr =>
        {
            var reporter = CliRunner.Reporter(pr.GetValue(verbose));
            var request = CreateRequestBuilder.Build(new CreateArguments
            {
                KernelSource = Both(pr.GetValue(source), pr.GetValue(sourceOption)),
                KernelRelease = pr.GetValue(kernel),
                Symvers = pr.GetValue(symvers),
                Kallsyms = pr.GetValue(kallsyms),
                FullBuild = pr.GetValue(fullBuild),
                Patches = pr.GetValue(patch) ?? [],
                PatchOptions = pr.GetValue(patchOpt)!,
                DiffExt = pr.GetValue(diffext),
                GitCommit = pr.GetValue(git),
                Prebuild = pr.GetValue(prebuild),
                Series = pr.GetValue(series),
                Config = pr.GetValue(config),
                Vmlinux = pr.GetValue(vmlinux),
                Jobs = pr.GetValue(jobs),
                Targets = pr.GetValue(target) ?? [],
                OotModule = pr.GetValue(ootModule),
                OotModuleSource = pr.GetValue(ootSource),
                Cc = pr.GetValue(cc),
                SkipCompilerCheck = pr.GetValue(skipCc),
                Name = pr.GetValue(name),
                OutputDirectory = pr.GetValue(output)!,
                Id = pr.GetValue(id),
                NonReplace = pr.GetValue(nonReplace),
                Description = pr.GetValue(description),
                SkipCleanup = pr.GetValue(skipCleanup),
                StripDebug = pr.GetValue(stripDebug),
            }, Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                .ToDictionary(e => (string)e.Key, e => (string?)e.Value));
            foreach (var note in request.Notes) reporter.Info(note);
            var outcome = new CreatePipeline(request.Request, reporter, CliRunner.Cancellation).Run();
            if (pr.GetValue(json))
            {
                Console.Out.WriteLine(KpkJson.Serialize(new CreateView(outcome.ModuleFile, outcome.Archive, outcome.CacheEntry,
                    outcome.CacheReused, outcome.OriginalBuild, outcome.ChangedObjects,
                    outcome.Functions.Select(f => new FunctionView(f.Name, f.ParentObject, f.Sympos)).ToList(),
                    outcome.Warnings, outcome.WorkDirectory, outcome.Manifest)));
            }
            else if (outcome.ModuleFile != null)
            {
                foreach (var f in outcome.Functions) Console.Out.WriteLine($"replaces {f.Name} in {f.ParentObject}{(f.Sympos != 0 ? $" (sympos {f.Sympos})" : "")}");
                Console.Out.WriteLine(outcome.ModuleFile);
                Console.Out.WriteLine(outcome.Archive);
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>KERNEL_SOURCE and --source name the same thing: one of them, or both alike.</summary>
    private static string? Both(string? positional, string? option)
    {
        if (positional != null && option != null && positional != option)
            throw new KpkException($"KERNEL_SOURCE {positional} and --source {option}: give the source once");
        return positional ?? option;
    }

}
