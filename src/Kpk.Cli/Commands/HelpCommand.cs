using System.CommandLine;
using Kpk.Core;

namespace Kpk.Cli.Commands;

/// <summary><c>kpk help [VERB [SUBVERB...]]</c>: the same help as <c>kpk VERB [SUBVERB] --help</c>.</summary>
public static class HelpCommand
{
    /// <summary>
    /// For <c>kpk help VERB...</c> naming a verb: the command line <c>VERB... --help</c>, so each verb prints its
    /// help its own way (guards reads its own command line); else null.
    /// </summary>
    public static string[]? AsHelpOption(RootCommand root, string[] args)
    {
        if (args is not ["help", _, ..]) return null;
        Command at = root;
        foreach (string name in args[1..])
            if ((at = at.Subcommands.FirstOrDefault(c => c.Name == name)!) == null) return null;
        return [.. args[1..], "--help"];
    }

    public static Command Create(RootCommand root)
    {
        var verbs = new Argument<string[]>("VERB") { Arity = ArgumentArity.ZeroOrMore, Description = "The verb (and sub-verb) to explain; none: kpk itself" };
        var cmd = new Command("help", "Show the help of kpk or of one of its verbs (the same as 'kpk VERB --help')") { verbs };
        cmd.SetAction(pr =>
        {
            string[] path = pr.GetValue(verbs) ?? [];
            Command at = root;
            for (int i = 0; i < path.Length; i++)
            {
                var next = at.Subcommands.FirstOrDefault(c => c.Name == path[i]);
                if (next == null)
                {
                    Console.Error.WriteLine($"kpk help: '{path[i]}' is not a verb of {string.Join(' ', ["kpk", .. path[..i]])}; see 'kpk --help'");
                    return ExitCodes.Usage;
                }
                at = next;
            }
            return CliRunner.Parse(root, [.. path, "--help"]).Invoke();
        });
        return cmd;
    }
}
