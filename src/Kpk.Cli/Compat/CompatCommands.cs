using System.CommandLine;
using Kpk.Build;
using Kpk.Cli.Commands;
using Kpk.Core;
using Kpk.Runtime;

namespace Kpk.Cli.Compat;

/// <summary>
/// The command lines people already type: kpk answers to kpatch-build, ksplice-create and kpatch,
/// whether run through a link of that name or as <c>kpk kpatch-build ...</c>. Each is read with its
/// tool's own rules and messages, translated into kpk create's arguments or onto kpk's runtime, and
/// ends with its tool's exit status.
/// </summary>
public static class CompatCommands
{
    public static readonly IReadOnlyList<string> Names = [KpatchBuild.Program, KspliceCreate.Program, "kpatch"];

    /// <summary>Entries for kpk's help: the drop-ins are dispatched before kpk's own parser sees their arguments.</summary>
    public static IEnumerable<Command> HelpEntries() =>
    [
        new Command(KpatchBuild.Program, "kpatch-build 0.9's command line: kpatch-build [options] <patch1 ... patchN> (see kpatch-build --help)"),
        new Command(KspliceCreate.Program, "ksplice-create's command line: ksplice-create [OPTIONS] --patch=FILE KERNEL_SOURCE (see ksplice-create --help)"),
        new Command("kpatch", "kpatch's utility: load, unload, list, info, install, uninstall, signal, version"),
    ];

    /// <summary>
    /// The name the process was started by (argv[0]): through a link named kpatch-build to the kpk
    /// binary (or its apphost), .NET's own view gives the resolved program, so read the kernel's record.
    /// </summary>
    public static string? InvokedAs()
    {
        try
        {
            byte[] cmdline = File.ReadAllBytes("/proc/self/cmdline");
            int end = Array.IndexOf(cmdline, (byte)0);
            return System.Text.Encoding.UTF8.GetString(cmdline, 0, end < 0 ? cmdline.Length : end);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return System.Environment.GetCommandLineArgs().FirstOrDefault();
        }
    }

    /// <summary>The drop-in a process was started as: a link named after it, or its name as the first argument.</summary>
    public static (string Name, string[] Args)? Match(string? invokedAs, string[] args)
    {
        string? self = invokedAs == null ? null : Path.GetFileName(invokedAs);
        if (self != null && Names.Contains(self)) return (self, args);
        if (args.Length > 0 && Names.Contains(args[0])) return (args[0], args[1..]);
        return null;
    }

    public static int Run(string name, string[] args) => CliRunner.Run(() =>
    {
        try
        {
            return name switch
            {
                KpatchBuild.Program => RunKpatchBuild(args, CompatHost.Live()),
                KspliceCreate.Program => RunKspliceCreate(args, CompatHost.Live()),
                _ => new KpatchUtility(RuntimeContextFor(), Console.Out, Console.Error, RuntimeCommands.ThisKpk()).Run(args),
            };
        }
        catch (CompatExit e)
        {
            Console.Out.Write(e.Stdout);
            Console.Error.Write(e.Stderr);
            return e.Code;
        }
    });

    private static RuntimeContext RuntimeContextFor() =>
        new(SystemRoot.Live, new KmodLoader(), CliRunner.Reporter(0), CliRunner.Cancellation);

    private static IReadOnlyDictionary<string, string?> Environment() =>
        System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value);

    /// <summary>Parses the translated arguments as kpk create's own; a failure to parse is reported in the tool's words.</summary>
    public static (CreateCommand.CreateVerb Verb, ParseResult Parse) ParseCreate(IReadOnlyList<string> createArguments, Func<string, CompatExit> fail)
    {
        var verb = CreateCommand.Verb();
        var parse = verb.Command.Parse(createArguments.ToArray());
        if (parse.Errors.Count > 0) throw fail(string.Join("; ", parse.Errors.Select(e => e.Message)));
        return (verb, parse);
    }

    public static int RunKpatchBuild(IReadOnlyList<string> args, CompatHost host)
    {
        var plan = KpatchBuild.Translate(args, host);
        foreach (string notice in plan.Notices) Console.Out.WriteLine(notice);
        var (verb, parse) = ParseCreate(plan.CreateArguments, m => KpatchBuild.Die(m));
        CreateOutcome outcome;
        try { outcome = CreateCommand.Run(verb, parse); }
        catch (KpkException e) when (e.ExitCode == ExitCodes.NoChange) { throw KpatchBuild.Die("no functional changes found"); }
        catch (KpkException e) { throw KpatchBuild.Die(e.Message.TrimEnd('.')); }
        Console.Out.WriteLine("Patched objects: " + string.Join(" ", outcome.Functions.Select(f => f.ParentObject).Distinct().Order(StringComparer.Ordinal)));
        Console.Out.WriteLine($"Building patch module: {plan.ModuleName}.ko");
        Console.Out.WriteLine("SUCCESS");
        return 0;
    }

    public static int RunKspliceCreate(IReadOnlyList<string> args, CompatHost host)
    {
        var plan = KspliceCreate.Translate(args, host, Environment());
        var (verb, parse) = ParseCreate(plan.CreateArguments, m => new CompatExit(KspliceCreate.Died, m + "\n"));
        if (plan.Verbosity >= 0) Console.Out.WriteLine("Starting kernel builds (this process might take a long time)...");
        CreateOutcome outcome;
        try { outcome = CreateCommand.Run(verb, parse); }
        catch (KpkException e) when (e.ExitCode == ExitCodes.NoChange) { throw new CompatExit(KspliceCreate.NoChanges, "No changes detected.\n"); }
        catch (KpkException e) { throw new CompatExit(KspliceCreate.Died, "Aborting: " + e.Message + "\n"); }
        if (!plan.Prebuild && outcome.Archive != null)
            Console.Out.WriteLine($"Ksplice update tarball written to {Path.GetFileName(outcome.Archive)}");
        return 0;
    }
}
