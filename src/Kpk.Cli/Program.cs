using System.CommandLine;
using Kpk.Cli;
using Kpk.Cli.Commands;
using Kpk.Cli.Compat;

// kpatch-build, ksplice-create and kpatch keep their own command lines: a link of that name to kpk,
// or the name as kpk's first argument, hands the rest to the drop-in before kpk's parser sees it.
if (CompatCommands.Match(CompatCommands.InvokedAs(), args) is var (name, rest))
    return CompatCommands.Run(name, rest);

// The CLI only parses and prints: each verb's work lives in the library beneath it.
var root = Verbs(args);
// "kpk help VERB" is "kpk VERB --help"; guards reads the process's own arguments, so it is made again for them.
if (HelpCommand.AsHelpOption(root, args) is { } help) root = Verbs(args = help);
return CliRunner.Invoke(root, args);

static RootCommand Verbs(string[] args)
{
    var root = new RootCommand("kpk, the kernel patch kit: live patches, patch series and module packaging for Linux kernels.");
    foreach (var command in new[]
             {
                 ElfCommands.Create(),
                 DiffObjectCommand.Create(),
                 DemoCommand.Create(),
                 CreateCommand.Create(),
                 DebCommands.Create(), // deb build, deb patch
                 WedgeCommands.Create(), // gen-control, gen-deps, preprocess, copy-modules, find-dups, find-unpackaged, install-files, check, help
             })
    {
        root.Subcommands.Add(command);
    }
    root.Subcommands.Add(WeakUpdatesCommand.Create());
    foreach (var command in RuntimeCommands.Create()) root.Subcommands.Add(command); // apply, list, undo, info, install, uninstall, load-installed
    foreach (var command in GuardsCommands.Create(args)) root.Subcommands.Add(command); // guards, supported, taint
    foreach (var command in SeriesApplyCommands.Create()) root.Subcommands.Add(command); // series apply; config merge, running, diff
    foreach (var command in CompatCommands.HelpEntries()) root.Subcommands.Add(command); // kpatch-build, ksplice-create, kpatch
    root.Subcommands.Add(HelpCommand.Create(root)); // help VERB [SUBVERB]
    root.Subcommands.Add(DistFilesCommand.Create(root)); // hidden: the package's man pages, completion and unit
    return root;
}
