using System.CommandLine;
using System.Text.Json;
using Kpk.Core;
using Kpk.Series.Guards;
using Kpk.Series.Supported;
using Kpk.Series.Taint;

namespace Kpk.Cli.Commands;

/// <summary>
/// <c>kpk guards | supported | taint</c>: the guards language of SUSE's kernel-source (a drop-in for
/// quilt's guards), Module.supported from supported.conf, and taint values explained.
/// </summary>
public static class GuardsCommands
{
    /// <param name="processArgs">The process's arguments as given: guards reads its own command line, byte for byte as guards(1) would.</param>
    public static IEnumerable<Command> Create(string[] processArgs) => [Guards(processArgs), Supported(), Taint()];

    private const int BrokenPipe = 32, SigPipe = 13; // EPIPE, SIGPIPE on Linux

    private static Command Guards(string[] processArgs)
    {
        var args = new Argument<string[]>("ARGS")
        {
            Arity = ArgumentArity.ZeroOrMore,
            Description = "guards(1)'s options and symbols: [--prefix=DIR] [--path=DIR:DIR...|--path=@FILE] [--default=0|1] " +
                          "[--check|--list] [--invert-match] [--with-guards] [--config=FILE] SYMBOL...",
        };
        // -h/--help belong to guards too (it prints its own help): shadow kpk's help option here.
        var help = new Option<bool>("--help", "-h", "-?", "/h", "/?") { Hidden = true, Arity = ArgumentArity.Zero };
        var cmd = new Command("guards", "Select files from a guarded list (series.conf) by symbols; a drop-in for quilt's guards(1)") { args, help };
        // guards parses its own arguments (Getopt::Long rules): nothing here may reject or rewrite them.
        cmd.TreatUnmatchedTokensAsErrors = false;
        cmd.SetAction(_ =>
        {
            int at = Array.IndexOf(processArgs, "guards");
            // Unlike Console's streams, these report a closed pipe (and, like them, move the shared offset).
            using var stdout = StandardStreams.Output();
            using var stderr = StandardStreams.Error();
            var env = new GuardsEnvironment
            {
                Input = Console.OpenStandardInput(),
                Output = stdout,
                Error = stderr,
                ProgramName = "kpk guards",
                PosixlyCorrect = Environment.GetEnvironmentVariable("POSIXLY_CORRECT") != null,
            };
            try
            {
                return GuardsProgram.Run(processArgs[(at + 1)..], env);
            }
            catch (IOException e) when (e.HResult == BrokenPipe)
            {
                return 128 + SigPipe; // the reader went away: end quietly with the status a shell shows for guards killed by SIGPIPE
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // What perl says when its buffered output cannot be written (a full disk, a closed descriptor).
                Console.Error.WriteLine("Unable to flush stdout: " + (e is IOException ? e.Message : "Bad file descriptor"));
                return 1;
            }
        });
        return cmd;
    }

    private static Command Supported()
    {
        var conf = new Argument<string?>("SUPPORTED.CONF")
        {
            Description = "SUSE's supported.conf (guards syntax); without it, each --module is a module file whose supported: tag is read",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var output = new Option<string?>("--output", "-o") { Description = "Write Module.supported here instead of standard output", HelpName = "FILE" };
        var modules = new Option<string[]>("--module", "-m")
        {
            Description = "Instead, print the support level modpost would give this module (NAME, path or NAME.ko; repeatable); " +
                          "without SUPPORTED.CONF, a module file (.ko): its supported: tag and what SUSE's kernel and modprobe settings do with it",
            HelpName = "MODULE",
            AllowMultipleArgumentsPerToken = false,
        };
        var root = new Option<string>("--root")
        {
            Description = "With module files: read this system's settings (/proc/sys/kernel/unsupported, modprobe.d) under DIR",
            DefaultValueFactory = _ => "/",
            HelpName = "DIR",
        };
        var cmd = new Command("supported", "Make Module.supported from supported.conf (+base, +external, -, -!optional, +NAME-kmp), as kernel-source does; " +
                                           "or read a module's supported: tag") { conf, output, modules, root };
        cmd.SetAction(pr =>
        {
            if (pr.GetValue(conf) is not { } path)
            {
                string[] files = pr.GetValue(modules) ?? [];
                if (files.Length == 0) throw new KpkException("give SUPPORTED.CONF, or --module FILE.ko to read a module's supported: tag");
                var systemRoot = new Kpk.Runtime.SystemRoot(pr.GetValue(root)!);
                foreach (string file in files)
                {
                    var report = Kpk.Runtime.ModuleSupportReport.Read(file, systemRoot);
                    Console.Out.WriteLine($"{file}: {report.Tag}");
                    foreach (string line in report.Lines) Console.Out.WriteLine("  " + line);
                }
                return ExitCodes.Ok;
            }
            byte[] input;
            try
            {
                input = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new KpkException($"{path}: cannot read: {e.Message}");
            }
            byte[] supported = ModuleSupportedFile.Generate(input);
            string[] wanted = pr.GetValue(modules) ?? [];
            if (wanted.Length > 0)
            {
                string text = ByteText.ToUnicode(ByteText.FromBytes(supported));
                foreach (string module in wanted)
                    Console.Out.WriteLine($"{module}: {ModuleSupportedFile.LevelFor(text, module) ?? "not listed (no supported flag: loading it taints the kernel as unsupported)"}");
                return ExitCodes.Ok;
            }
            if (pr.GetValue(output) is { } outPath) AtomicFile.WriteAllBytes(outPath, supported);
            else
            {
                using var stdout = Console.OpenStandardOutput();
                stdout.Write(supported);
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Taint()
    {
        var value = new Argument<string?>("VALUE")
        {
            Arity = ArgumentArity.ZeroOrOne,
            Description = "The taint mask, decimal as in /proc/sys/kernel/tainted or 0x-hex (default: the running kernel's)",
        };
        var suse = new Option<SuseTaintLayout?>("--suse")
        {
            Description = "SUSE support bits: current (5.3 and later: X=bit 16, N=bit 31, the default), legacy (2.6.25 to 5.2: N=bit 30, X=bit 31), " +
                          "early (2.6 before 2.6.25: U=bit 4, X=bit 5, machine check bit 10, four-letter code) or none",
        };
        var release = new Option<string?>("--release")
        {
            Description = "Choose the SUSE layout by this kernel release's version (instead of --suse)",
            HelpName = "RELEASE",
        };
        var json = CommonOptions.Json();
        var cmd = new Command("taint", "Explain a kernel taint value bit by bit: letter, value and reason, upstream and SUSE bits") { value, suse, release, json };
        cmd.SetAction(pr =>
        {
            string text = pr.GetValue(value) ?? ReadRunningTaint();
            if (pr.GetValue(suse) != null && pr.GetValue(release) != null)
                throw new KpkException("give --suse LAYOUT or --release RELEASE, not both");
            var layout = pr.GetValue(suse)
                ?? (pr.GetValue(release) is { } r ? SuseTaintLayoutOf.Release(r) : SuseTaintLayout.Current);
            var report = TaintReport.Explain(TaintReport.ParseValue(text), layout);
            if (pr.GetValue(json)) PrintJson(report, layout);
            else PrintText(report);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static string ReadRunningTaint()
    {
        const string file = "/proc/sys/kernel/tainted";
        try
        {
            return File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{file}: cannot read: {e.Message}; give the value as an argument");
        }
    }

    private static void PrintText(TaintReport report)
    {
        Console.Out.WriteLine($"taint {report.Value} (0x{report.Value:x})");
        Console.Out.WriteLine(report.TaintedLine);
        foreach (var flag in report.Flags)
            Console.Out.WriteLine($"  bit {flag.Bit,2}  {flag.Letter}  {flag.Value,10}  {flag.Reason}{(flag.Suse ? " [SUSE " + flag.Name + "]" : "")}");
        foreach (int bit in report.UnknownBits)
            Console.Out.WriteLine($"  bit {bit,2}  ?  {1UL << bit,10}  not a taint flag of this kernel layout");
        if (report.Supported != null) Console.Out.WriteLine($"supported: {report.Supported}");
    }

    private static void PrintJson(TaintReport report, SuseTaintLayout layout)
    {
        var view = new TaintView(report.Value, $"0x{report.Value:x}", report.TaintedLine, layout.ToString().ToLowerInvariant(),
            report.Flags.Select(f => new TaintFlagView(f.Bit, f.Letter.ToString(), f.Value, f.Name, f.Reason, f.Suse)).ToList(),
            report.UnknownBits, report.Supported);
        Console.Out.WriteLine(KpkJson.Serialize(view));
    }
}
