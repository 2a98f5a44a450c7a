using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Kpk.Core;

namespace Kpk.Cli;

/// <summary>
/// Runs a parsed command so that every failure the user can cause ends as one clear line on
/// stderr and a non-zero exit, never a stack trace. Ctrl-C cancels the token handed to verbs, which
/// must then restore what they touched before returning.
/// </summary>
public static class CliRunner
{
    public static int Invoke(RootCommand root, string[] args) =>
        Run(() =>
        {
            var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
            var parsed = Parse(root, args);
            if (parsed.Errors.Count > 0 && parsed.Action is ParseErrorAction)
            {
                // Not the whole help on stdout: one line on stderr, and the exit status of a usage error.
                Console.Error.WriteLine(UsageError.Describe(parsed));
                return ExitCodes.Usage;
            }
            return parsed.Invoke(config);
        });

    /// <summary>Runs a verb's body with Ctrl-C handling and kpk's error reporting (the drop-in commands report their own first).</summary>
    public static int Run(Func<int> body)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true; // let the verb clean up; a second Ctrl-C still kills us
            if (cancel.IsCancellationRequested) Environment.Exit(ExitCodes.Interrupted);
            Console.Error.WriteLine("kpk: interrupted, cleaning up...");
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            Cancellation = cancel.Token;
            return body();
        }
        catch (KpkException e)
        {
            Console.Error.WriteLine("kpk: " + e.Message);
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("kpk: interrupted");
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"kpk: internal error: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("KPK_DEBUG") == "1") Console.Error.WriteLine(e);
            else Console.Error.WriteLine("kpk: (set KPK_DEBUG=1 for details)");
            return ExitCodes.Error;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    // No @response files: arguments starting with @ are data for some verbs (guards' --path @FILE, symbols).
    public static ParseResult Parse(RootCommand root, IReadOnlyList<string> args) =>
        root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });

    /// <summary>Cancelled on Ctrl-C; long-running verbs pass it down.</summary>
    public static CancellationToken Cancellation { get; private set; }

    public static IReporter Reporter(int verbosity) => new TextReporter(Console.Error, verbosity);
}

/// <summary>Options several verbs share, made once so they read the same everywhere.</summary>
public static class CommonOptions
{
    public static Option<bool> Json() => new("--json") { Description = "Print the result as JSON on stdout" };

    /// <summary>
    /// <c>-v</c>, counted: <c>-v</c> is 1, <c>-vv</c>, <c>-v -v</c> and <c>--verbose --verbose</c> are 2, and so on
    /// (the <see cref="IReporter"/> levels). The option takes no value, so the count is how often it was named.
    /// </summary>
    public static Option<int> Verbose() => new("--verbose", "-v")
    {
        Description = "Show more detail: -v what kpk decides, -vv also the output of the tools it runs",
        Arity = ArgumentArity.Zero,
        CustomParser = r => r.Parent is OptionResult option ? option.IdentifierTokenCount : 1,
    };
}
