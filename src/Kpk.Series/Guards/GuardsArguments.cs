using System.Text.RegularExpressions;

namespace Kpk.Series.Guards;

/// <summary>What a guards command line asks for. Strings are byte strings (see <see cref="ByteText"/>).</summary>
public sealed class GuardsSettings
{
    public string Prefix { get; set; } = "";
    /// <summary>The guarded list to read; <c>-</c> is standard input.</summary>
    public string Config { get; set; } = "-";
    public bool Check { get; set; }
    public bool List { get; set; }
    public bool WithGuards { get; set; }
    public bool InvertMatch { get; set; }
    /// <summary>The <c>--path</c> values as given (each may hold several directories separated by <c>:</c>).</summary>
    public List<string> Paths { get; } = [];
    /// <summary>Whether unguarded files are selected (<c>--default</c>); kept as the number perl would hold.</summary>
    public PerlNumber Default { get; set; } = PerlNumber.One;
    public List<string> Symbols { get; } = [];
}

/// <summary>The outcome of reading a guards command line.</summary>
/// <param name="Settings">The options and symbols.</param>
/// <param name="Messages">What the option parser said on standard error, in order.</param>
/// <param name="ShowHelp">True when the help text is to be printed instead of doing anything (asked for, or a bad option).</param>
public sealed record GuardsArguments(GuardsSettings Settings, IReadOnlyList<string> Messages, bool ShowHelp)
{
    /// <summary>
    /// Reads the arguments as quilt's guards does, which is Getopt::Long's way with bundling:
    /// single letters after <c>-</c> can be bundled (<c>-lw</c>, <c>-dDIR</c>, <c>-D0</c>); long options
    /// need <c>--</c> (or <c>+</c>), may be abbreviated and written in any case, and take values as
    /// <c>--opt=value</c> or <c>--opt value</c>; options and symbols may be mixed; <c>--</c> ends the
    /// options. With <paramref name="posixlyCorrect"/> (the POSIXLY_CORRECT environment variable)
    /// options end at the first symbol, <c>+</c> starts no option and long names must be whole.
    /// </summary>
    public static GuardsArguments Parse(IReadOnlyList<string> args, bool posixlyCorrect = false) =>
        new Reader(args, posixlyCorrect).Read();

    private enum Kind { Flag, Text, TextList, Integer, Help }

    private sealed record Spec(string Canonical, Kind Kind);

    /// <summary>Option names as Getopt::Long files them: long names in lower case, single letters as given.</summary>
    private static readonly SortedDictionary<string, Spec> Table = Build(
        ("d|prefix", Kind.Text), ("c|config", Kind.Text), ("C|check", Kind.Flag), ("l|list", Kind.Flag),
        ("w|with-guards", Kind.Flag), ("p|path", Kind.TextList), ("D|default", Kind.Integer),
        ("v|invert-match", Kind.Flag), ("h|help", Kind.Help));

    private static SortedDictionary<string, Spec> Build(params (string Names, Kind Kind)[] specs)
    {
        var table = new SortedDictionary<string, Spec>(StringComparer.Ordinal);
        foreach (var (names, kind) in specs)
        {
            string[] aliases = names.Split('|');
            var spec = new Spec(aliases[0], kind);
            foreach (string alias in aliases) table[alias.Length == 1 ? alias : AsciiLower(alias)] = spec;
        }
        return table;
    }

    /// <summary>perl's lc on a byte string: only A-Z change.</summary>
    private static string AsciiLower(string s) => string.Create(s.Length, s, (span, src) =>
    {
        for (int i = 0; i < src.Length; i++) span[i] = src[i] is >= 'A' and <= 'Z' ? (char)(src[i] + 32) : src[i];
    });

    /// <summary>An integer as Getopt::Long accepts it (underscores allowed).</summary>
    private static readonly Regex Integer = new(@"^[-+]?_*[0-9][0-9_]*$", RegexOptions.Singleline | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    /// <summary>An integer at the start of a bundle's rest, as in <c>-D1l</c>.</summary>
    private static readonly Regex LeadingInteger = new(@"^([-+]?_*[0-9][0-9_]*)(.*)$", RegexOptions.Singleline | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private sealed class Reader(IReadOnlyList<string> args, bool posixlyCorrect)
    {
        private readonly LinkedList<string> _pending = new(args);
        private readonly GuardsSettings _settings = new();
        private readonly List<string> _messages = [];
        private readonly List<string> _nonOptions = [];
        private int _errors;

        public GuardsArguments Read()
        {
            while (_pending.Count > 0)
            {
                string arg = Shift();
                if (arg == "--") break;
                var step = Step(arg);
                if (step == StepResult.Help) return new GuardsArguments(_settings, _messages, ShowHelp: true);
                if (step == StepResult.NotAnOption)
                {
                    if (posixlyCorrect)
                    {
                        _pending.AddFirst(arg);
                        break;
                    }
                    _nonOptions.Add(arg);
                }
            }
            _settings.Symbols.AddRange(_nonOptions);
            _settings.Symbols.AddRange(_pending);
            return new GuardsArguments(_settings, _messages, ShowHelp: _errors > 0);
        }

        private enum StepResult { Done, NotAnOption, Help }

        private StepResult Step(string arg)
        {
            string? starter = arg.StartsWith("--", StringComparison.Ordinal) ? "--"
                : arg.StartsWith('-') ? "-"
                : !posixlyCorrect && arg.StartsWith('+') ? "+"
                : null;
            if (starter == null || arg == "-") return StepResult.NotAnOption;
            string name = arg[starter.Length..];
            string? inlineValue = null; // --opt=value
            string? bundleRest = null;  // what follows the letter in -xyz

            if (starter == "--")
            {
                int eq = name.Length > 1 ? name.IndexOf('=', 1) : -1;
                if (eq > 0)
                {
                    inlineValue = name[(eq + 1)..];
                    name = name[..eq];
                }
            }

            string lookup;
            if (starter == "-")
            {
                lookup = name.Length > 0 ? name[..1] : "";
                bundleRest = name.Length > 1 ? name[1..] : null;
            }
            else if (!posixlyCorrect && name.Length > 0)
            {
                name = AsciiLower(name);
                lookup = Abbreviation(name, out bool ambiguous);
                if (ambiguous) return StepResult.Done;
            }
            else
            {
                lookup = AsciiLower(name);
            }

            if (!Table.TryGetValue(lookup, out var spec))
            {
                if (starter.Length == 1)
                {
                    name = name.Length > 0 ? name[..1] : "";
                    if (bundleRest != null) _pending.AddFirst(starter + bundleRest);
                }
                Error(name.Length == 0 ? $"Missing option after {starter}" : $"Unknown option: {name}");
                return StepResult.Done;
            }
            name = lookup;

            if (spec.Kind is Kind.Flag or Kind.Help)
            {
                if (inlineValue != null)
                {
                    Error($"Option {name} does not take an argument");
                    return StepResult.Done;
                }
                if (bundleRest != null) _pending.AddFirst(starter + bundleRest);
                if (spec.Kind == Kind.Help) return StepResult.Help;
                SetFlag(spec.Canonical);
                return StepResult.Done;
            }

            bool noValue = inlineValue != null ? inlineValue.Length == 0 : bundleRest == null && _pending.Count == 0;
            if (noValue)
            {
                Error($"Option {name} requires an argument");
                return StepResult.Done;
            }
            string value = bundleRest ?? inlineValue ?? Shift();

            if (spec.Kind == Kind.Integer)
            {
                PerlNumber number;
                Match m;
                if (bundleRest != null && (m = LeadingInteger.Match(bundleRest)).Success)
                {
                    // Getopt::Long adds 0 to the digits as they stand here, underscores and all.
                    number = Numify(m.Groups[1].Value);
                    string after = m.Groups[2].Value;
                    if (after.Length > 0) _pending.AddFirst(starter + after);
                }
                else if (Integer.IsMatch(value))
                {
                    number = Numify(value.Replace("_", ""));
                }
                else
                {
                    Error($"Value \"{value}\" invalid for option {name} (number expected)");
                    if (bundleRest != null) _pending.AddFirst(starter + bundleRest);
                    return StepResult.Done;
                }
                _settings.Default = number;
                return StepResult.Done;
            }

            switch (spec.Canonical)
            {
                case "d": _settings.Prefix = value; break;
                case "c": _settings.Config = value; break;
                case "p": _settings.Paths.Add(value); break;
            }
            return StepResult.Done;
        }

        /// <summary>Completes an abbreviated long name; an exact name wins over longer ones it begins.</summary>
        private string Abbreviation(string name, out bool ambiguous)
        {
            ambiguous = false;
            var hits = Table.Keys.Where(k => k.StartsWith(name, StringComparison.Ordinal)).ToList();
            if (hits.Count > 1 && !hits.Contains(name))
            {
                var options = hits.Select(h => Table[h].Canonical).Distinct().ToList();
                if (options.Count != 1)
                {
                    Error($"Option {name} is ambiguous ({string.Join(", ", hits)})");
                    ambiguous = true;
                    return name;
                }
                hits = options;
            }
            return hits.Count == 1 && hits[0] != name ? hits[0] : name;
        }

        private PerlNumber Numify(string text)
        {
            var number = PerlNumber.Parse(text, out bool whole);
            if (!whole)
                _messages.Add($"Argument \"{text}\" isn't numeric in addition (+) at /usr/lib/x86_64-linux-gnu/perl-base/Getopt/Long.pm line 1221.");
            return number;
        }

        private void SetFlag(string canonical)
        {
            switch (canonical)
            {
                case "C": _settings.Check = true; break;
                case "l": _settings.List = true; break;
                case "w": _settings.WithGuards = true; break;
                case "v": _settings.InvertMatch = true; break;
            }
        }

        private void Error(string message)
        {
            _messages.Add(message);
            _errors++;
        }

        private string Shift()
        {
            string first = _pending.First!.Value;
            _pending.RemoveFirst();
            return first;
        }
    }
}
