using System.CommandLine;
using Kpk.Core;
using Kpk.Runtime;
using Kpk.Runtime.WeakUpdates;

namespace Kpk.Cli.Commands;

/// <summary><c>kpk weak-updates</c>: SUSE's weak-modules2 for module packages (links in /lib/modules/OTHER/weak-updates/).</summary>
public static class WeakUpdatesCommand
{
    public static Command Create()
    {
        var addKernel = new Option<string?>("--add-kernel") { Description = "A kernel was installed: link the compatible modules of the other kernels into it", HelpName = "RELEASE" };
        var removeKernel = new Option<string?>("--remove-kernel") { Description = "A kernel is being removed: remove its weak-updates/ (and links that would dangle)", HelpName = "RELEASE" };
        var addModules = new Option<bool>("--add-modules") { Description = "Modules were installed in /lib/modules/RELEASE/updates/ (their paths on stdin): link them into every compatible kernel" };
        var removeModules = new Option<bool>("--remove-modules") { Description = "Modules are being removed (their paths on stdin): remove their links, link another version where one fits" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would change; change nothing and run no depmod" };
        var verbose = CommonOptions.Verbose();
        var root = new Option<string>("--root") { Description = "Treat DIR as / (/lib/modules, /boot, /etc/depmod.d); depmod runs with -b DIR", DefaultValueFactory = _ => "/", HelpName = "DIR" };
        var cmd = new Command("weak-updates", "Make module-package modules of one kernel available to the other compatible kernels, as SUSE's weak-modules2 does")
        {
            addKernel, removeKernel, addModules, removeModules, dryRun, verbose, root,
        };
        cmd.SetAction(pr =>
        {
            string? add = pr.GetValue(addKernel), remove = pr.GetValue(removeKernel);
            int modes = (add != null ? 1 : 0) + (remove != null ? 1 : 0) + (pr.GetValue(addModules) ? 1 : 0) + (pr.GetValue(removeModules) ? 1 : 0);
            if (modes != 1)
                throw new KpkException("give exactly one of --add-kernel RELEASE, --remove-kernel RELEASE, --add-modules, --remove-modules");
            var options = new WeakUpdatesOptions
            {
                DryRun = pr.GetValue(dryRun),
                Depmod = new Depmod(Environment.GetEnvironmentVariable("DEPMOD") is { Length: > 0 } d ? d : "depmod"),
            };
            var updater = new WeakUpdater(new SystemRoot(pr.GetValue(root)!), options, new TextReporter(Console.Out, pr.GetValue(verbose)));
            if (add != null) updater.AddKernel(add);
            else if (remove != null) updater.RemoveKernel(remove);
            else if (pr.GetValue(addModules)) updater.AddModules(ReadLines());
            else updater.RemoveModules(ReadLines());
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static List<string> ReadLines()
    {
        var lines = new List<string>();
        while (Console.In.ReadLine() is { } line) lines.Add(line);
        return lines;
    }
}
