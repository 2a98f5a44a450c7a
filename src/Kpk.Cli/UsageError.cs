using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Kpk.Cli;

/// <summary>
/// A command line kpk cannot run, told as one line on stderr: the verb, what is wrong in the
/// user's words (the option as typed, the value, what it should have been — never a .NET type
/// name), and where to read more. Exit <see cref="Kpk.Core.ExitCodes.Usage"/>. The help itself
/// is printed only when asked for.
/// </summary>
public static class UsageError
{
    public static string Describe(ParseResult parsed)
    {
        var command = parsed.CommandResult;
        string verb = VerbPath(command);
        var error = parsed.Errors[0];
        string what = error.SymbolResult switch
        {
            OptionResult option when BadValue(option.Option.ValueType, option.Tokens) is { } bad => $"{option.IdentifierToken?.Value ?? option.Option.Name}: {bad}",
            ArgumentResult { Parent: OptionResult option } argument when BadValue(argument.Argument.ValueType, argument.Tokens) is { } bad => $"{option.IdentifierToken?.Value ?? option.Option.Name}: {bad}",
            ArgumentResult argument when BadValue(argument.Argument.ValueType, argument.Tokens) is { } bad => $"{argument.Argument.Name}: {bad}",
            _ when UnknownOption(parsed) is { } token => Unmatched(token, command.Command, verb),
            _ when UnmatchedToken(parsed) is { } token => Unmatched(token, command.Command, verb),
            _ => error.Message.TrimEnd('.'),
        };
        return $"{verb}: {what}; see '{verb} --help'";
    }

    /// <summary>"kpk", "kpk create", "kpk wedge build": the command the error belongs to, as typed.</summary>
    public static string VerbPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? r = command; r != null; r = r.Parent)
            if (r is CommandResult c && c.Parent != null) names.Insert(0, c.Command.Name);
        return string.Join(' ', ["kpk", .. names]);
    }

    /// <summary>"'abc' is not a whole number" when a value does not convert to the option's or argument's type.</summary>
    private static string? BadValue(Type type, IReadOnlyList<Token> tokens)
    {
        if (type.IsArray) type = type.GetElementType()!;
        type = Nullable.GetUnderlyingType(type) ?? type;
        string? expected = Expected(type);
        if (expected == null) return null;
        var token = tokens.FirstOrDefault(t => !Converts(t.Value, type));
        return token == null ? null : $"'{token.Value}' is not {expected}";
    }

    /// <summary>
    /// A token that looks like an option but was taken as an argument value because no option has that
    /// name (<c>create --jbos 3 SRC</c>): the real mistake, though the parser then complains of "3".
    /// </summary>
    private static string? UnknownOption(ParseResult parsed) =>
        parsed.Tokens.FirstOrDefault(t => t.Type == TokenType.Argument && t.Value.Length > 1 && t.Value[0] == '-'
                                          && (char.IsLetter(t.Value[1]) || t.Value.StartsWith("--", StringComparison.Ordinal)))?.Value;

    private static string? Expected(Type type) => type switch
    {
        _ when type == typeof(int) || type == typeof(long) || type == typeof(uint) || type == typeof(ulong) => "a whole number",
        _ when type == typeof(double) => "a number",
        _ when type.IsEnum => "one of " + string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant())),
        _ => null,
    };

    private static bool Converts(string value, Type type)
    {
        var c = CultureInfo.InvariantCulture;
        if (type == typeof(int)) return int.TryParse(value, NumberStyles.Integer, c, out _);
        if (type == typeof(long)) return long.TryParse(value, NumberStyles.Integer, c, out _);
        if (type == typeof(uint)) return uint.TryParse(value, NumberStyles.Integer, c, out _);
        if (type == typeof(ulong)) return ulong.TryParse(value, NumberStyles.Integer, c, out _);
        if (type == typeof(double)) return double.TryParse(value, NumberStyles.Float, c, out _);
        if (type.IsEnum) return Enum.TryParse(type, value, ignoreCase: true, out _);
        return true;
    }

    private static string? UnmatchedToken(ParseResult parsed) => parsed.UnmatchedTokens.FirstOrDefault();

    /// <summary>"'lst' is not a verb of kpk (did you mean 'list'?)" or "unknown option or argument '--jbos'".</summary>
    private static string Unmatched(string token, Command command, string verb)
    {
        bool option = token.StartsWith('-');
        var candidates = option
            ? command.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name))
            : command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name);
        string? near = candidates.Where(c => Distance(c, token) <= Math.Max(1, (token.Length + 1) / 3))
            .OrderBy(c => Distance(c, token)).ThenBy(c => c, StringComparer.Ordinal).FirstOrDefault();
        string hint = near != null ? $" (did you mean '{near}'?)" : "";
        if (option) return $"unknown option '{token}'{hint}";
        return command.Subcommands.Count > 0 && !command.Arguments.Any()
            ? $"'{token}' is not a verb of {verb}{hint}"
            : $"unexpected argument '{token}'{hint}";
    }

    /// <summary>Levenshtein distance: how many single-character edits turn one word into the other.</summary>
    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}
