namespace Kpk.Cli.Compat;

/// <summary>One option of a <see cref="GnuGetopt"/> spec: a short letter, a long name, or both.</summary>
public sealed record GetoptOption(char? Short, string? Long, bool TakesValue)
{
    /// <summary>How results name it: the long name when there is one.</summary>
    public string Name => Long ?? Short!.Value.ToString();
}

/// <summary>The options in the order given (a repeated option appears each time) and the operands.</summary>
public sealed record GetoptResult(IReadOnlyList<(string Name, string? Value)> Options, IReadOnlyList<string> Operands)
{
    public int Count(string name) => Options.Count(o => o.Name == name);
    public bool Has(string name) => Options.Any(o => o.Name == name);
    public string? Last(string name) => Options.LastOrDefault(o => o.Name == name).Value;
    public IEnumerable<string> All(string name) => Options.Where(o => o.Name == name).Select(o => o.Value!);
}

/// <summary>
/// Command lines parsed as util-linux getopt(1) parses them for the shell scripts kpk stands in for
/// (kpatch-build, kpatch): short options clustered (-dR, -j4) or with a separate value, long options
/// with =VALUE or a separate value and abbreviated to any unambiguous prefix, operands anywhere (GNU
/// permutation), "--" ending the options. Errors carry getopt's own wording.
/// </summary>
public static class GnuGetopt
{
    public static GetoptResult Parse(IReadOnlyList<string> args, IReadOnlyList<GetoptOption> spec, string program)
    {
        var options = new List<(string, string?)>();
        var operands = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--")
            {
                operands.AddRange(args.Skip(i + 1));
                break;
            }
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                string body = arg[2..];
                int eq = body.IndexOf('=');
                string name = eq < 0 ? body : body[..eq];
                var option = FindLong(spec, name, program);
                if (option.TakesValue)
                {
                    if (eq >= 0) options.Add((option.Name, body[(eq + 1)..]));
                    else if (i + 1 < args.Count) options.Add((option.Name, args[++i]));
                    else throw Error(program, $"option '--{option.Long}' requires an argument");
                }
                else
                {
                    if (eq >= 0) throw Error(program, $"option '--{option.Long}' doesn't allow an argument");
                    options.Add((option.Name, null));
                }
            }
            else if (arg.Length > 1 && arg[0] == '-')
            {
                for (int c = 1; c < arg.Length; c++)
                {
                    var option = spec.FirstOrDefault(o => o.Short == arg[c]) ?? throw Error(program, $"invalid option -- '{arg[c]}'");
                    if (!option.TakesValue)
                    {
                        options.Add((option.Name, null));
                        continue;
                    }
                    if (c + 1 < arg.Length) options.Add((option.Name, arg[(c + 1)..]));
                    else if (i + 1 < args.Count) options.Add((option.Name, args[++i]));
                    else throw Error(program, $"option requires an argument -- '{arg[c]}'");
                    break;
                }
            }
            else operands.Add(arg);
        }
        return new GetoptResult(options, operands);
    }

    private static GetoptOption FindLong(IReadOnlyList<GetoptOption> spec, string name, string program)
    {
        var exact = spec.FirstOrDefault(o => o.Long == name);
        if (exact != null) return exact;
        var prefixed = name.Length == 0 ? [] : spec.Where(o => o.Long != null && o.Long.StartsWith(name, StringComparison.Ordinal)).ToList();
        return prefixed.Count switch
        {
            1 => prefixed[0],
            0 => throw Error(program, $"unrecognized option '--{name}'"),
            _ => throw Error(program, $"option '--{name}' is ambiguous; possibilities: {string.Join(" ", prefixed.Select(o => $"'--{o.Long}'"))}"),
        };
    }

    /// <summary>getopt(1) prints "PROGRAM: message" and the script then reports its own failure.</summary>
    public sealed class GetoptError(string message) : Exception(message);

    private static GetoptError Error(string program, string message) => new($"{program}: {message}");
}
