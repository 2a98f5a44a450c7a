using System.CommandLine;
using System.Text;

namespace Kpk.Cli.Docs;

/// <summary>
/// Man pages made from kpk's own command definitions, so they never drift from what the parser
/// accepts: kpk(1) listing the verbs, and one page per verb, kpk-VERB(1) or, for the verbs that
/// change the running kernel or the boot, kpk-VERB(8). A verb with subcommands (elf, wedge,
/// series, config, deb) documents them on its page.
/// </summary>
public static class ManPages
{
    /// <summary>The verbs that need root and change the running system: section 8, as kpatch(1)'s load would be in a distribution.</summary>
    private static readonly HashSet<string> AdminVerbs = ["apply", "undo", "install", "uninstall", "load-installed"];

    public static int Section(Command verb) => AdminVerbs.Contains(verb.Name) ? 8 : 1;

    public static IEnumerable<Command> Verbs(RootCommand root) => root.Subcommands.Where(c => !c.Hidden).OrderBy(c => c.Name, StringComparer.Ordinal);

    public static string PageName(Command verb) => $"kpk-{verb.Name}.{Section(verb)}";

    public static string Overview(RootCommand root, string version)
    {
        var s = Header("KPK", 1, version);
        s.Append(".SH NAME\nkpk \\- the kernel patch kit\n");
        s.Append(".SH SYNOPSIS\n.B kpk\n.I VERB\n[\\fIOPTIONS\\fR]\n");
        s.Append(".SH DESCRIPTION\n").Append(Text(root.Description ?? "")).Append('\n');
        s.Append("Each verb has its own page and its own \\fB\\-\\-help\\fR.\n");
        s.Append(".SH VERBS\n");
        foreach (var verb in Verbs(root))
            s.Append(".TP\n.BR kpk\\-").Append(Escape(verb.Name)).Append(" (").Append(Section(verb)).Append(")\n").Append(Text(verb.Description ?? "")).Append('\n');
        Options(s, root.Options);
        s.Append(".SH FILES\n.TP\n.I /lib/modules/RELEASE/updates/kpk/\ninstalled live patches (\\fBkpk install\\fR)\n");
        s.Append(".TP\n.I /usr/lib/systemd/system/kpk.service\nloads them at boot; \\fBkpk.skip\\fR on the kernel command line skips it\n");
        s.Append(".TP\n.I /usr/share/kpk/kpk\\-patch.h\nthe header live patches include for callbacks\n");
        return s.ToString();
    }

    public static string Verb(Command verb, string version)
    {
        string title = "KPK-" + verb.Name.ToUpperInvariant();
        var s = Header(title, Section(verb), version);
        s.Append(".SH NAME\nkpk\\-").Append(Escape(verb.Name)).Append(" \\- ").Append(Text(FirstSentence(verb.Description))).Append('\n');
        s.Append(".SH SYNOPSIS\n");
        var commands = Leaves(verb, "kpk " + verb.Name).ToList();
        foreach (var (path, command) in commands) Synopsis(s, path, command);
        s.Append(".SH DESCRIPTION\n").Append(Text(verb.Description ?? "")).Append('\n');
        foreach (var (path, command) in commands)
        {
            if (command != verb) s.Append(".SH ").Append(Escape(path.ToUpperInvariant())).Append('\n').Append(Text(command.Description ?? "")).Append('\n');
            Arguments(s, command.Arguments);
            Options(s, command.Options);
        }
        s.Append(".SH SEE ALSO\n.BR kpk (1)\n");
        return s.ToString();
    }

    /// <summary>The command itself when it runs something, and every runnable subcommand under it, depth first.</summary>
    private static IEnumerable<(string Path, Command Command)> Leaves(Command command, string path)
    {
        if (command.Action != null || command.Subcommands.Count == 0) yield return (path, command);
        foreach (var sub in command.Subcommands.Where(c => !c.Hidden).OrderBy(c => c.Name, StringComparer.Ordinal))
            foreach (var leaf in Leaves(sub, path + " " + sub.Name)) yield return leaf;
    }

    private static void Synopsis(StringBuilder s, string path, Command command)
    {
        s.Append(".B ").Append(Escape(path)).Append('\n');
        if (command.Options.Any(o => !o.Hidden)) s.Append("[\\fIOPTIONS\\fR]\n");
        foreach (var a in command.Arguments.Where(a => !a.Hidden))
        {
            bool optional = a.Arity.MinimumNumberOfValues == 0, many = a.Arity.MaximumNumberOfValues > 1;
            s.Append(optional ? "[" : "").Append("\\fI").Append(Escape(a.Name)).Append("\\fR").Append(many ? "..." : "").Append(optional ? "]" : "").Append('\n');
        }
        s.Append(".br\n");
    }

    private static void Arguments(StringBuilder s, IEnumerable<Argument> arguments)
    {
        var shown = arguments.Where(a => !a.Hidden).ToList();
        if (shown.Count > 0) s.Append(".SS Arguments\n");
        foreach (var a in shown)
            s.Append(".TP\n.I ").Append(Escape(a.Name)).Append('\n').Append(Text(a.Description ?? "")).Append('\n');
    }

    private static void Options(StringBuilder s, IEnumerable<Option> options)
    {
        var shown = options.Where(o => !o.Hidden).ToList();
        if (shown.Count > 0) s.Append(".SS Options\n");
        foreach (var o in shown)
        {
            var names = new[] { o.Name }.Concat(o.Aliases).Distinct().OrderBy(n => n.StartsWith("--") ? 1 : 0).ThenBy(n => n, StringComparer.Ordinal);
            s.Append(".TP\n").Append(string.Join(", ", names.Select(n => "\\fB" + Escape(n) + "\\fR")));
            if (o.Arity.MaximumNumberOfValues > 0 && o.ValueType != typeof(bool)) s.Append(" \\fI").Append(Escape(o.HelpName ?? o.Name.TrimStart('-').ToUpperInvariant())).Append("\\fR");
            s.Append('\n').Append(Text(o.Description ?? "")).Append('\n');
        }
    }

    private static StringBuilder Header(string title, int section, string version) =>
        new StringBuilder().Append(".\\\" Generated by kpk from its command definitions; do not edit.\n")
            .Append(".TH ").Append(title).Append(' ').Append(section).Append(" \"\" \"kpk ").Append(Escape(version)).Append("\" \"kpk manual\"\n");

    private static string FirstSentence(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        int end = text.IndexOf(". ", StringComparison.Ordinal);
        return (end > 0 ? text[..end] : text).TrimEnd('.');
    }

    /// <summary>A paragraph of running text: escaped, and no line may start with a roff control character.</summary>
    private static string Text(string text) =>
        string.Join("\n", Escape(text).Split('\n').Select(l => l.StartsWith('.') || l.StartsWith('\'') ? "\\&" + l : l));

    /// <summary>Backslashes as \e, hyphens as \- (so they stay ASCII hyphen-minus in every output).</summary>
    public static string Escape(string text) => text.Replace("\\", "\\e").Replace("-", "\\-");
}
