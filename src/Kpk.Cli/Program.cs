using System.CommandLine;
using Kpk.Cli;
using Kpk.Cli.Commands;

// The CLI only parses and prints: each verb's work lives in the library beneath it.
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
foreach (var command in RuntimeCommands.Create()) root.Subcommands.Add(command); // apply, list, undo, info, install, uninstall, load-installed
foreach (var command in GuardsCommands.Create(args)) root.Subcommands.Add(command); // guards, supported, taint
foreach (var command in SeriesApplyCommands.Create()) root.Subcommands.Add(command); // series apply; config merge, running, diff
root.Subcommands.Add(DistFilesCommand.Create(root)); // hidden: the package's man pages, completion and unit
return CliRunner.Invoke(root, args);
