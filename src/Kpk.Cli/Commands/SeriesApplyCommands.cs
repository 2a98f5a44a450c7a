using System.CommandLine;
using Kpk.Core;
using Kpk.Series.Apply;
using Kpk.Series.Config;

namespace Kpk.Cli.Commands;

/// <summary>
/// <c>kpk series apply</c> (a patched tree from a vanilla tree and a guarded series) and
/// <c>kpk config merge | running | diff</c> (kernel configs).
/// </summary>
public static class SeriesApplyCommands
{
    public static IEnumerable<Command> Create() => [Series(), Config()];

    private static Command Series()
    {
        var vanilla = new Option<string>("--vanilla") { Description = "The vanilla tree: a directory, or a .tar, .tar.gz, .tar.xz or .tar.bz2 tarball", Required = true, HelpName = "TARBALL|DIR" };
        var series = new Option<string>("--series") { Description = "The guarded series file (series.conf); patch names are relative to its directory", Required = true, HelpName = "FILE" };
        var symbols = new Option<string[]>("--symbol") { Description = "A guard symbol (repeat for several)", HelpName = "SYMBOL", AllowMultipleArgumentsPerToken = false };
        var dir = new Option<string>("--dir", "-d") { Description = "Scratch directory for the unpacked tarball, the patched tree and the log", DefaultValueFactory = _ => "tmp", HelpName = "SCRATCH" };
        var fuzz = new Option<int>("--fuzz", "-F") { Description = "patch's fuzz factor (sequence-patch's default is 0)", HelpName = "N" };
        var fast = new Option<bool>("--fast") { Description = "Apply all patches in one patch run, without per-patch backups; a failure removes the tree" };
        var upTo = new Option<string?>("--upto") { Description = "Stop after this patch (full name, or the part after a slash); quilt push continues from there", HelpName = "PATCH" };
        var verbose = CommonOptions.Verbose();
        var apply = new Command("apply", "Build the patched tree: hard-link the vanilla tree, apply the selected patches with backups, leave quilt's .pc/ and series")
        {
            vanilla, series, symbols, dir, fuzz, fast, upTo, verbose,
        };
        apply.SetAction(pr =>
        {
            var reporter = CliRunner.Reporter(pr.GetValue(verbose));
            var options = new SeriesApplyOptions
            {
                Vanilla = pr.GetValue(vanilla)!,
                Series = pr.GetValue(series)!,
                Symbols = pr.GetValue(symbols) ?? [],
                ScratchDirectory = pr.GetValue(dir)!,
                Fuzz = pr.GetValue(fuzz),
                Fast = pr.GetValue(fast),
                UpTo = pr.GetValue(upTo),
            };
            var result = new SeriesApplier(new GuardsSeriesSelector(), reporter).Apply(options, CliRunner.Cancellation);
            Console.Out.WriteLine($"tree: {result.Tree}");
            Console.Out.WriteLine($"applied: {result.Applied} of {result.Selected} selected patches" +
                                  (result.Remaining.Count > 0 ? $"; {result.Remaining.Count} left for quilt push, next {result.Remaining[0]}" : ""));
            Console.Out.WriteLine($"log: {result.Log}");
            return ExitCodes.Ok;
        });
        return new Command("series", "Patch series: build a patched tree from a vanilla tree and a guarded series.conf") { apply };
    }

    private static Command Config()
    {
        return new Command("config", "Kernel configs: select, merge, the running kernel's, differences") { Select(), Merge(), Running(), Diff() };
    }

    private static Option<string?> OutputOption() => new("--output", "-o") { Description = "Write to FILE (atomically) instead of standard output", HelpName = "FILE" };

    private static Command Select()
    {
        var arch = new Option<string>("--arch") { Description = "The architecture (x86_64, i386, ppc64le, arm64, s390x, ...)", Required = true };
        var flavor = new Option<string>("--flavor") { Description = "The flavour (default, debug, vanilla, ...)", Required = true };
        var dir = new Option<string>("--dir", "-C") { Description = "The kernel-source tree (config.conf and config/ or config.tar.bz2)", DefaultValueFactory = _ => ".", HelpName = "DIR" };
        var output = new Option<string>("--output", "-o") { Description = "Where the config goes (atomically); - for standard output", DefaultValueFactory = _ => ".config", HelpName = "FILE" };
        var strict = new Option<bool>("--strict") { Description = "Treat warnings in the config files as errors" };
        var cmd = new Command("select", "The .config of one architecture and flavour of a kernel-source tree: config.conf's choice, config.addon laid over it") { arch, flavor, dir, output, strict };
        cmd.SetAction(pr =>
        {
            var selection = ConfigSelector.Select(pr.GetValue(dir)!, pr.GetValue(arch)!, pr.GetValue(flavor)!, CliRunner.Cancellation);
            Warn(selection.Result.Warnings, pr.GetValue(strict));
            Console.Error.WriteLine($"flavours built for {selection.Arch}: {string.Join(", ", selection.Flavors)}");
            Console.Error.WriteLine($"config: {selection.Base}" + (selection.Addon != null ? $" + {selection.Addon}" : ""));
            string target = pr.GetValue(output)!;
            Emit(selection.Result.Text, target == "-" ? null : target);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Merge()
    {
        var files = new Argument<string[]>("BASE ADDON") { Description = "The base config, then the add-ons laid over it in order", Arity = ArgumentArity.OneOrMore };
        var output = OutputOption();
        var strict = new Option<bool>("--strict") { Description = "Treat warnings (lines that are not config, a setting given twice in one file) as errors" };
        var cmd = new Command("merge", "Merge configs: later values win, a setting keeps its first position") { files, output, strict };
        cmd.SetAction(pr =>
        {
            var configs = pr.GetValue(files)!.Select(KernelConfig.Load).ToList();
            var merged = ConfigMerger.Merge(configs);
            Warn(merged.Warnings, pr.GetValue(strict));
            Emit(merged.Text, pr.GetValue(output));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Running()
    {
        var root = new Option<string>("--root") { Description = "Treat DIR as / (reads DIR/proc/config.gz, DIR/boot/config-RELEASE)", DefaultValueFactory = _ => "/", HelpName = "DIR" };
        var output = OutputOption();
        var cmd = new Command("running", "The running kernel's config, from /proc/config.gz or /boot/config-$(uname -r)") { root, output };
        cmd.SetAction(pr =>
        {
            var found = RunningConfig.Read(pr.GetValue(root)!);
            Console.Error.WriteLine($"config from {found.Source}");
            Emit(found.Text, pr.GetValue(output));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Diff()
    {
        var a = new Argument<string>("A") { Description = "The old config" };
        var b = new Argument<string>("B") { Description = "The new config" };
        var merge = new Option<bool>("--merge", "-m") { Description = "Print the changed and added settings as config lines (diffconfig -m)" };
        var cmd = new Command("diff", "Differences between two configs, as the kernel's scripts/diffconfig prints them") { a, b, merge };
        cmd.SetAction(pr =>
        {
            var before = KernelConfig.Load(pr.GetValue(a)!);
            var after = KernelConfig.Load(pr.GetValue(b)!);
            Warn([.. before.Warnings, .. after.Warnings], strict: false);
            Console.Out.Write(ConfigDiff.Format(before, after, pr.GetValue(merge)));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static void Warn(IReadOnlyList<ConfigWarning> warnings, bool strict)
    {
        if (strict && warnings.Count > 0)
            throw new KpkException(string.Join("\n", warnings.Select(w => w.ToString())) + $"\n{warnings.Count} problem(s); nothing written (--strict)");
        foreach (var w in warnings) Console.Error.WriteLine($"warning: {w}");
    }

    private static void Emit(string text, string? output)
    {
        if (output == null) Console.Out.Write(text);
        else AtomicFile.WriteAllText(output, text);
    }
}
