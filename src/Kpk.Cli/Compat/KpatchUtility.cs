using Kpk.Core;
using Kpk.Elf;
using Kpk.Runtime;

namespace Kpk.Cli.Compat;

/// <summary>
/// kpatch's utility (kpatch 0.9.7: load, unload, list, info, install, uninstall, signal, version) on
/// kpk's runtime. Its output is kpatch's where tools read it: <c>list</c> prints "Loaded patch
/// modules:" with "NAME [enabled]" lines, then "Installed patch modules:" with "NAME (RELEASE)"
/// lines (Cockpit's kpatch page and insights parse those). Installed patches are kpk's
/// (/lib/modules/RELEASE/updates/kpk, loaded at boot by kpk.service), not /var/lib/kpatch.
/// </summary>
public sealed class KpatchUtility(RuntimeContext context, TextWriter stdout, TextWriter stderr, string kpkExecutable)
{
    /// <summary>The kpatch release whose command line and output this follows; <c>kpatch version</c> prints it.</summary>
    public const string Version = "0.9.7";
    /// <summary>kpatch waits this long for a transition, signals the stalled tasks, then waits again.</summary>
    public static readonly TimeSpan TransitionWait = TimeSpan.FromSeconds(15);

    public TimeSpan Wait { get; init; } = TransitionWait;

    public static readonly string Usage = """
        usage: kpatch <command> [<args>]

        Valid commands:
           install [-k|--kernel-version=<kernel version>] <module>
              install patch module to be loaded at boot
           uninstall [-k|--kernel-version=<kernel version>] <module>
              uninstall patch module

           load --all
              load all installed patch modules into the running kernel
           load <module>
              load patch module into the running kernel
           unload --all
              unload all patch modules from the running kernel
           unload <module>
              unload patch module from the running kernel

           info <module>
              show information about a patch module

           list
              list installed patch modules

           signal
              signal/poke any process stalling the current patch transition. This is
              only useful on systems that have the sysfs livepatch signal interface.
              On other systems, the signaling should be done automatically by the OS
              and this subcommand is a no-op.

           version
              display the kpatch version

        """;

    public int Run(IReadOnlyList<string> args)
    {
        try
        {
            if (args.Count < 1) return ShowUsage();
            return args[0] switch
            {
                "load" when args.Count == 2 => args[1] == "--all" ? LoadAll() : Load(args[1]),
                "unload" when args.Count == 2 => args[1] == "--all" ? UnloadAll() : Unload(args[1]),
                "install" => Install(args.Skip(1).ToList()),
                "uninstall" => Uninstall(args.Skip(1).ToList()),
                "list" when args.Count == 1 => List(),
                "info" when args.Count == 2 => Info(args[1]),
                "signal" when args.Count == 1 => Signal(),
                "help" or "-h" or "--help" => ShowUsage(),
                "version" or "-v" or "--version" => Print(Version),
                "load" or "unload" or "list" or "info" or "signal" => ShowUsage(),
                _ => NotRecognized(args[0]),
            };
        }
        catch (KpatchDie e)
        {
            stderr.WriteLine("kpatch: " + e.Message);
            return 1;
        }
    }

    /// <summary>kpatch's die: "kpatch: message" on stderr, exit 1.</summary>
    private sealed class KpatchDie(string message) : Exception(message);

    private int ShowUsage()
    {
        stderr.Write(Usage);
        return 1;
    }

    private int NotRecognized(string verb)
    {
        stdout.WriteLine($"subcommand {verb} not recognized");
        return ShowUsage();
    }

    private int Print(string line)
    {
        stdout.WriteLine(line);
        return 0;
    }

    private string Release => context.Kernel.Release;

    /// <summary>kpatch's mod_name: the file name without .ko, '-' as '_'.</summary>
    public static string ModName(string path) => ModuleName.Normalize(Path.GetFileName(path) is var f && f.EndsWith(".ko", StringComparison.Ordinal) ? f[..^3] : Path.GetFileName(path));

    /// <summary>A .ko path (as given, else in the running release's install directory), or an installed module's name.</summary>
    private string FindModule(string arg)
    {
        if (arg.Contains(".ko", StringComparison.Ordinal))
        {
            if (File.Exists(arg)) return arg;
            string installed = Path.Combine(context.Root.InstalledDir(Release), arg);
            if (File.Exists(installed)) return installed;
        }
        else
        {
            foreach (var p in new InstalledPatches(context).All().Where(p => p.Release == Release))
                if (ModName(p.Path) == arg) return p.Path;
        }
        throw new KpatchDie($"can't find {arg}");
    }

    private int Load(string arg)
    {
        string module = FindModule(arg);
        string name = ModuleName.Normalize(LivePatchModule.Read(module).Name);
        if (context.Sysfs.Enabled(name) == true)
        {
            stdout.WriteLine($"module named {name} already loaded and enabled");
            return 0;
        }
        stdout.WriteLine($"loading patch module: {module}");
        try { new PatchApplier(context).Apply(module, Wait, force: false); }
        catch (KpkException e) when (context.Sysfs.Transition(name) == true)
        {
            // Stalled even after the tasks were signalled: kpatch takes the patch out again.
            stderr.WriteLine("kpatch: " + e.Message);
            stdout.WriteLine($"module {name} did not complete its transition, unloading...");
            TryUndo(name);
            throw new KpatchDie($"error: failed to load module {name} (transition stalled)");
        }
        catch (KpkException e)
        {
            stderr.WriteLine("kpatch: " + e.Message);
            throw new KpatchDie($"failed to load module {arg}");
        }
        return 0;
    }

    private void TryUndo(string name)
    {
        try { new PatchRemover(context).Undo(name, Wait); }
        catch (KpkException e) { stderr.WriteLine("kpatch: " + e.Message); }
    }

    private int LoadAll()
    {
        try { new InstalledPatches(context).LoadInstalled(Wait); }
        catch (KpkException e) { throw new KpatchDie(e.Message); }
        return 0;
    }

    private int Unload(string arg)
    {
        string name = ModName(arg);
        if (!context.Sysfs.IsRegistered(name) && !context.Sysfs.IsLivepatchModuleLoaded(name))
        {
            stderr.WriteLine($"kpatch: patch module {name} is not loaded");
            throw new KpatchDie($"failed to disable module {name}");
        }
        if (context.Sysfs.Enabled(name) == true) stdout.WriteLine($"disabling patch module: {name}");
        try { new PatchRemover(context).Undo(name, Wait); }
        catch (KpkException e)
        {
            stderr.WriteLine("kpatch: " + e.Message);
            throw new KpatchDie($"failed to unload module {arg}");
        }
        stdout.WriteLine($"unloading patch module: {name}");
        return 0;
    }

    private int UnloadAll()
    {
        foreach (var patch in context.Sysfs.List())
        {
            if (patch.Enabled) stdout.WriteLine($"disabling patch module: {patch.Name}");
            try
            {
                new PatchRemover(context).Undo(patch.Name, Wait);
                stdout.WriteLine($"unloading patch module: {patch.Name}");
            }
            catch (KpkException e) { stderr.WriteLine("kpatch: " + e.Message); }
        }
        var remaining = context.Sysfs.List();
        foreach (var patch in remaining) stderr.WriteLine($"kpatch: failed to unload module {patch.Name}");
        return remaining.Count > 0 ? 1 : 0;
    }

    private static readonly GetoptOption[] KernelVersionSpec = [new('k', "kernel-version", true)];

    /// <summary>install/uninstall's own command line: [-k|--kernel-version=KVER] MODULE.</summary>
    private (string Kver, string Module) KernelVersionArgs(IReadOnlyList<string> args)
    {
        GetoptResult parsed;
        try { parsed = GnuGetopt.Parse(args, KernelVersionSpec, "kpatch"); }
        catch (GnuGetopt.GetoptError e)
        {
            stderr.WriteLine(e.Message);
            throw new KpatchDie("getopt failed");
        }
        if (parsed.Operands.Count == 0 || parsed.Operands[0].Length == 0) throw new KpatchDie("no module file specified");
        return (parsed.Last("kernel-version") ?? Release, parsed.Operands[0]);
    }

    private int Install(IReadOnlyList<string> args)
    {
        var (kver, patch) = KernelVersionArgs(args);
        if (!File.Exists(patch)) throw new KpatchDie($"{patch} doesn't exist");
        if (!patch.EndsWith(".ko", StringComparison.Ordinal)) throw new KpatchDie($"{patch} isn't a .ko file");
        LivePatchModule module;
        try { module = LivePatchModule.Read(patch); }
        catch (KpkException) { throw new KpatchDie("modinfo failed"); }
        if (module.KernelRelease != kver) throw new KpatchDie($"invalid module version {module.KernelRelease} for kernel {kver}");
        if (new InstalledPatches(context).All().Any(p => p.Release == kver && ModName(p.Path) == ModName(patch)))
            throw new KpatchDie($"{patch} is already installed");
        stdout.WriteLine($"installing {patch} ({kver})");
        try { new InstalledPatches(context).Install(patch, kpkExecutable); }
        catch (KpkException e) { throw new KpatchDie($"failed to install module {patch}: {e.Message}"); }
        return 0;
    }

    private int Uninstall(IReadOnlyList<string> args)
    {
        var (kver, patch) = KernelVersionArgs(args);
        if (patch != Path.GetFileName(patch)) throw new KpatchDie("please supply patch module name without path");
        if (!new InstalledPatches(context).All().Any(p => p.Release == kver && ModName(p.Path) == ModName(patch)))
            throw new KpatchDie($"{patch} is not installed for kernel {kver}");
        stdout.WriteLine($"uninstalling {patch} ({kver})");
        try { new InstalledPatches(context).Uninstall(ModName(patch), kver); }
        catch (KpkException e) { throw new KpatchDie($"failed to uninstall module {patch}: {e.Message}"); }
        return 0;
    }

    private int List()
    {
        stdout.WriteLine("Loaded patch modules:");
        var loaded = context.Sysfs.List();
        foreach (var p in loaded)
            stdout.WriteLine($"{p.Name} [{(p.Enabled ? p.Transition ? "enabling..." : "enabled" : p.Transition ? "disabling..." : "disabled")}]");
        if (loaded.FirstOrDefault(p => p.Transition) is { } moving)
        {
            stdout.WriteLine();
            stdout.WriteLine("Stalled processes:");
            foreach (var task in context.Tasks.Blocking(moving.Enabled ? 1 : 0))
            {
                stdout.WriteLine($"{task.Tid} {task.Command}");
                stdout.WriteLine("stack:");
                foreach (string frame in task.Stack) stdout.WriteLine(frame);
            }
        }
        stdout.WriteLine();
        stdout.WriteLine("Installed patch modules:");
        foreach (var p in new InstalledPatches(context).All())
            stdout.WriteLine($"{ModName(p.Path)} ({p.Release})");
        return 0;
    }

    /// <summary>"Patch information for X:" and the module's .modinfo as modinfo(8) prints it.</summary>
    private int Info(string arg)
    {
        string module = FindModule(arg);
        stdout.WriteLine($"Patch information for {arg}:");
        try
        {
            using var elf = ElfObject.Read(module);
            var info = ModInfo.Read(elf, module);
            stdout.WriteLine($"{"filename:",-16}{Path.GetFullPath(module)}");
            foreach (var (key, value) in info.Entries) stdout.WriteLine($"{key + ":",-16}{value}");
        }
        catch (Exception e) when (e is KpkException or ElfFormatException)
        {
            stderr.WriteLine("kpatch: " + e.Message);
            throw new KpatchDie($"failed to get info for module {arg}");
        }
        return 0;
    }

    private int Signal()
    {
        var moving = context.Sysfs.List().FirstOrDefault(p => p.Transition);
        if (moving == null) return 0;
        if (File.Exists(Path.Combine(context.Root.LivepatchDir(moving.Name), "signal")))
        {
            stdout.WriteLine("signaling stalled process(es):");
            context.Sysfs.Signal(moving.Name);
        }
        else
        {
            stderr.WriteLine("kpatch: Livepatch process signaling is performed automatically on your system.");
            stderr.WriteLine("kpatch: Skipping manual process signaling.");
        }
        return 0;
    }
}
