using System.CommandLine;
using Kpk.Cli;
using Kpk.Cli.Commands;
using Kpk.Cli.Compat;

// kpatch-build, ksplice-create and kpatch keep their own command lines: a link of that name to kpk,
// or the name as kpk's first argument, hands the rest to the drop-in before kpk's parser sees it.
if (CompatCommands.Match(CompatCommands.InvokedAs(), args) is var (name, rest))
    return CompatCommands.Run(name, rest);

// The CLI only parses and prints: each verb's work lives in the library beneath it.
var root = new RootCommand("kpk, the kernel patch kit: live patches, patch series and module packaging for Linux kernels.");
foreach (var command in new[]
         {
             ElfCommands.Create(),
             DiffObjectCommand.Create(),
             DemoCommand.Create(),
             CreateCommand.Create(),
             WedgeCommands.Create(), // gen-control, gen-deps, preprocess, copy-modules, find-dups, find-unpackaged, install-files, check, help
         })
{
    root.Subcommands.Add(command);
}
foreach (var command in RuntimeCommands.Create()) root.Subcommands.Add(command); // apply, list, undo, info, install, uninstall, load-installed
foreach (var command in GuardsCommands.Create(args)) root.Subcommands.Add(command); // guards, supported, taint
foreach (var command in SeriesApplyCommands.Create()) root.Subcommands.Add(command); // series apply; config merge, running, diff
foreach (var command in CompatCommands.HelpEntries()) root.Subcommands.Add(command); // kpatch-build, ksplice-create, kpatch
return CliRunner.Invoke(root, args);
