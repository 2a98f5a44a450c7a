using System.CommandLine;
using System.Text.Json;
using Kpk.Core;
using Kpk.Runtime;

namespace Kpk.Cli.Commands;

/// <summary>
/// <c>kpk apply | list | undo | info | install | uninstall | load-installed</c>: live patches on a
/// running kernel through its livepatch sysfs interface. Every verb takes <c>--root DIR</c>.
/// </summary>
public static class RuntimeCommands
{
    /// <summary>Commands standing in for insmod/rmmod (a busybox path, or a fake kernel for a --root tree).</summary>
    private const string InsmodVariable = "KPK_INSMOD", RmmodVariable = "KPK_RMMOD";

    public static IEnumerable<Command> Create() =>
        [Apply(), List(), Undo(), Info(), Install(), Uninstall(), LoadInstalled()];

    private static Option<string> RootOption() => new("--root")
    {
        Description = "Treat DIR as / (for /sys, /proc, /lib/modules, /etc, /run)",
        DefaultValueFactory = _ => "/",
        HelpName = "DIR",
    };

    private static Option<double> WaitOption() => new("--wait")
    {
        Description = "Seconds to wait for the livepatch transition to finish",
        DefaultValueFactory = _ => 60,
        HelpName = "SECONDS",
    };

    private static Command Apply()
    {
        var file = new Argument<string>("FILE") { Description = "A live patch module (NAME.ko) or a kpk-ID.tar.gz" };
        var root = RootOption();
        var wait = WaitOption();
        var force = new Option<bool>("--force") { Description = "If the transition does not finish in time, force it (the module can then never be unloaded)" };
        var json = CommonOptions.Json();
        var verbose = CommonOptions.Verbose();
        var cmd = new Command("apply", "Check a live patch against the running kernel, load it and wait for the transition") { file, root, wait, force, json, verbose };
        cmd.SetAction(pr =>
        {
            var context = Context(pr.GetValue(root)!, pr.GetValue(verbose), needsLoader: true);
            var result = new PatchApplier(context).Apply(pr.GetValue(file)!, Seconds(pr.GetValue(wait)), pr.GetValue(force));
            if (pr.GetValue(json)) Print(result);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command List()
    {
        var root = RootOption();
        var json = CommonOptions.Json();
        var verbose = CommonOptions.Verbose();
        var cmd = new Command("list", "The live patches in the kernel (objects, functions, state) and the installed ones") { root, json, verbose };
        cmd.SetAction(pr =>
        {
            var context = Context(pr.GetValue(root)!, pr.GetValue(verbose), needsLoader: false);
            var listing = new PatchLister(context).List();
            // Without livepatch support "none loaded" would hide that none can be: say so, and fail (installed patches are still listed).
            if (!listing.LivepatchSupported) Console.Error.WriteLine("kpk: " + context.Sysfs.NoSupport);
            if (pr.GetValue(json)) Print(listing);
            else WriteListing(listing, pr.GetValue(verbose) > 0);
            return listing.LivepatchSupported ? ExitCodes.Ok : ExitCodes.Error;
        });
        return cmd;
    }

    private static Command Undo()
    {
        var name = new Argument<string>("NAME") { Description = "The patch's module name, or the id of a kpk tarball" };
        var root = RootOption();
        var wait = WaitOption();
        var json = CommonOptions.Json();
        var verbose = CommonOptions.Verbose();
        var cmd = new Command("undo", "Disable a live patch, wait for the transition and unload it") { name, root, wait, json, verbose };
        cmd.SetAction(pr =>
        {
            var context = Context(pr.GetValue(root)!, pr.GetValue(verbose), needsLoader: true);
            var result = new PatchRemover(context).Undo(pr.GetValue(name)!, Seconds(pr.GetValue(wait)));
            if (pr.GetValue(json)) Print(result);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Info()
    {
        var file = new Argument<string>("FILE") { Description = "A live patch module (NAME.ko) or a kpk-ID.tar.gz" };
        var root = RootOption(); // accepted for symmetry: info reads only FILE
        var json = CommonOptions.Json();
        var cmd = new Command("info", "What a live patch patches, without loading it") { file, root, json };
        cmd.SetAction(pr =>
        {
            var info = PatchInfo.Read(pr.GetValue(file)!);
            if (pr.GetValue(json)) Print(info);
            else info.WriteText(Console.Out);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Install()
    {
        var file = new Argument<string>("FILE") { Description = "A live patch module (NAME.ko) or a kpk-ID.tar.gz" };
        var root = RootOption();
        var exec = new Option<string?>("--exec") { Description = "Absolute path of kpk for the boot unit's ExecStart (default: this kpk)", HelpName = "PATH" };
        var verbose = CommonOptions.Verbose();
        var cmd = new Command("install", "Install a live patch under /lib/modules/RELEASE/updates/kpk and load it at boot (systemd unit kpk.service)") { file, root, exec, verbose };
        cmd.SetAction(pr =>
        {
            var context = Context(pr.GetValue(root)!, pr.GetValue(verbose), needsLoader: false);
            new InstalledPatches(context).Install(pr.GetValue(file)!, pr.GetValue(exec) ?? ThisKpk());
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Uninstall()
    {
        var name = new Argument<string>("NAME") { Description = "The installed patch's module name or kpk id" };
        var root = RootOption();
        var verbose = CommonOptions.Verbose();
        var cmd = new Command("uninstall", "Remove an installed live patch (all kernel releases); it stays loaded until 'kpk undo'") { name, root, verbose };
        cmd.SetAction(pr =>
        {
            var context = Context(pr.GetValue(root)!, pr.GetValue(verbose), needsLoader: false);
            new InstalledPatches(context).Uninstall(pr.GetValue(name)!);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command LoadInstalled()
    {
        var root = RootOption();
        var wait = WaitOption();
        var json = CommonOptions.Json();
        var verbose = CommonOptions.Verbose();
        var cmd = new Command("load-installed", "Apply the installed live patches for the running kernel release (run at boot by kpk.service)") { root, wait, json, verbose };
        cmd.SetAction(pr =>
        {
            var context = Context(pr.GetValue(root)!, pr.GetValue(verbose), needsLoader: true);
            var result = new InstalledPatches(context).LoadInstalled(Seconds(pr.GetValue(wait)));
            if (pr.GetValue(json)) Print(result);
            else if (result.Applied.Count == 0 && result.AlreadyLoaded.Count == 0)
                context.Reporter.Info($"no live patch installed for {result.Release}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static RuntimeContext Context(string rootDir, int verbosity, bool needsLoader)
    {
        var root = rootDir == "/" ? SystemRoot.Live : new SystemRoot(rootDir);
        string? insmod = Environment.GetEnvironmentVariable(InsmodVariable), rmmod = Environment.GetEnvironmentVariable(RmmodVariable);
        // Loading into the running kernel while reading another tree's sysfs would mix two systems.
        if (needsLoader && !root.IsLive && (string.IsNullOrEmpty(insmod) || string.IsNullOrEmpty(rmmod)))
            throw new KpkException($"--root {rootDir}: this verb loads or unloads modules; set {InsmodVariable} and {RmmodVariable} to commands that act on that tree (kpk never loads into the running kernel for another root)");
        var loader = new KmodLoader(string.IsNullOrEmpty(insmod) ? "insmod" : insmod, string.IsNullOrEmpty(rmmod) ? "rmmod" : rmmod);
        return new RuntimeContext(root, loader, CliRunner.Reporter(verbosity), CliRunner.Cancellation);
    }

    private static TimeSpan Seconds(double seconds) =>
        seconds >= 0 ? TimeSpan.FromSeconds(seconds) : throw new KpkException($"--wait {seconds}: must not be negative");

    /// <summary>The kpk executable for the boot unit: the apphost beside kpk.dll, else the process itself.</summary>
    public static string ThisKpk()
    {
        string apphost = Path.Combine(AppContext.BaseDirectory, "kpk");
        if (File.Exists(apphost)) return apphost;
        return Environment.ProcessPath is { } p && Path.GetFileName(p) == "kpk" ? p : "/usr/local/bin/kpk";
    }

    private static void Print<T>(T value) => Console.Out.WriteLine(KpkJson.Serialize(value));

    private static void WriteListing(PatchListing listing, bool verbose)
    {
        var output = Console.Out;
        output.WriteLine($"running kernel: {listing.Release}{(listing.BuildId != null ? $" (build id {listing.BuildId})" : "")}");
        if (!listing.LivepatchSupported) output.WriteLine("loaded live patches: none (no livepatch support in this kernel: CONFIG_LIVEPATCH)");
        else if (listing.Loaded.Count == 0) output.WriteLine("loaded live patches: none");
        else output.WriteLine("loaded live patches:");
        foreach (var p in listing.Loaded)
        {
            string state = (p.Enabled ? "enabled" : "disabled") + (p.Transition ? ", in transition" : "") + (p.Replace == true ? ", replace" : "");
            output.WriteLine($"  {p.Name}{(p.Id != null ? $" (id {p.Id})" : "")}: {state}");
            foreach (var o in p.Objects)
            {
                string patched = o.Patched switch { true => "patched", false => "not patched (module not loaded)", null => "" };
                output.WriteLine($"    {o.Name}{(patched.Length > 0 ? $" [{patched}]" : "")}: {string.Join(" ", o.Functions)}");
            }
        }
        var notLoaded = listing.Installed.Where(i => !i.Loaded && (verbose || i.ForRunningKernel)).ToList();
        var others = listing.Installed.Count(i => !i.ForRunningKernel);
        if (notLoaded.Count > 0) output.WriteLine("installed, not loaded:");
        foreach (var i in notLoaded)
            output.WriteLine($"  {i.Name}{(i.Id != null ? $" (id {i.Id})" : "")} for {i.Release}: {i.Path}");
        if (!verbose && others > 0) output.WriteLine($"({others} installed for other kernel releases; -v lists them)");
    }
}
