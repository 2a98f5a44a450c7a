using System.Text.RegularExpressions;

namespace Kpk.Series.Guards;

/// <summary>Where a guards run reads and writes, and what it is called in its help text.</summary>
public sealed class GuardsEnvironment
{
    public required Stream Input { get; init; }
    public required Stream Output { get; init; }
    public required Stream Error { get; init; }
    /// <summary>The name the help text gives the program (perl's <c>$0</c>).</summary>
    public string ProgramName { get; init; } = "guards";
    /// <summary>Whether POSIXLY_CORRECT is set, which changes how options are read.</summary>
    public bool PosixlyCorrect { get; init; }
    /// <summary>Relative file names resolve against this directory (null: the process's).</summary>
    public string? WorkingDirectory { get; init; }
}

/// <summary>
/// <c>guards</c>, as quilt ships it in /usr/bin/guards: selects files from a guarded list by
/// symbols (default), lists all (<c>--list</c>, <c>--with-guards</c>), or checks the list against
/// the files on disk (<c>--check</c>, <c>--path</c>, <c>--path=@FILE</c>). Same standard output,
/// messages and exit statuses, byte for byte, except that <c>--check</c> reports unused and
/// multiply used files in sorted order (perl's hash order is random) and that the help text names
/// <see cref="GuardsEnvironment.ProgramName"/>.
/// </summary>
public static class GuardsProgram
{
    /// <summary>perl's exit status for <c>die</c> after an errno-less failure.</summary>
    private const int DieWithoutErrno = 255;

    /// <summary>Runs guards with command-line <paramref name="args"/> (as .NET hands them over) and returns its exit status.</summary>
    public static int Run(IReadOnlyList<string> args, GuardsEnvironment env)
    {
        var output = new BufferedStream(env.Output, 64 * 1024);
        try
        {
            return Run(args, env, output);
        }
        finally
        {
            output.Flush();
        }
    }

    private static int Run(IReadOnlyList<string> args, GuardsEnvironment env, Stream output)
    {
        var parsed = GuardsArguments.Parse(args.Select(ByteText.FromUnicode).ToList(), env.PosixlyCorrect);
        foreach (string message in parsed.Messages) WriteLine(env.Error, message);
        var settings = parsed.Settings;
        if (parsed.ShowHelp)
        {
            Write(output, HelpText(ByteText.FromUnicode(env.ProgramName), settings.Default));
            return 0;
        }

        var files = new PosixFiles(env.WorkingDirectory);
        try
        {
            string text = ReadConfig(settings.Config, env, files);
            string prefix = Slashme(settings.Prefix);
            if (settings.Check) return Check(settings, prefix, GuardedList.Parse(text), files, output);
            var entries = GuardedList.Parse(text);
            if (settings.List) List(entries, prefix, settings.WithGuards, output);
            else Select(entries, prefix, settings, output);
            return 0;
        }
        catch (GuardsDied died)
        {
            output.Flush();
            WriteLine(env.Error, died.Message);
            return died.ExitStatus;
        }
    }

    /// <summary>The files the symbols select (or, with <c>--invert-match</c>, do not select).</summary>
    private static void Select(List<GuardedEntry> entries, string prefix, GuardsSettings settings, Stream output)
    {
        var decisions = new GuardDecisions(new HashSet<string>(settings.Symbols, StringComparer.Ordinal));
        foreach (var entry in entries)
        {
            bool? decision = decisions.Evaluate(entry.Guards);
            // perl prints when ($selected ^ $invert_match) is true; an unguarded file's $selected is
            // the --default number itself, so any default other than 0 and 1 prints either way.
            bool print = decision is bool selected
                ? selected != settings.InvertMatch
                : settings.InvertMatch ? !settings.Default.IsOne : !settings.Default.IsZero;
            if (print) WriteLine(output, prefix + entry.Name);
        }
    }

    /// <summary>Every file regardless of guards, with its guards before it when asked.</summary>
    private static void List(List<GuardedEntry> entries, string prefix, bool withGuards, Stream output)
    {
        foreach (var entry in entries)
        {
            string guards = withGuards && entry.Guards.Count > 0 ? string.Join(' ', entry.Guards) + " " : "";
            WriteLine(output, guards + prefix + entry.Name);
        }
    }

    /// <summary>
    /// Compares the list with the files under the <c>--path</c> directories: files the list names
    /// that do not exist, files that exist but are not listed, and files listed more than once.
    /// The exit status is the number of problems (modulo 256, as perl's <c>exit</c> gives it).
    /// </summary>
    private static int Check(GuardsSettings settings, string prefix, List<GuardedEntry> entries, PosixFiles files, Stream output)
    {
        var given = settings.Paths.Count > 0 ? settings.Paths : ["."];
        var onDisk = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string path in SplitColons(string.Join(':', given)))
            foreach (string file in FilesIn(prefix, path, files))
                onDisk[file] = 0;

        bool fromStdin = settings.Config == "-";
        int problems = 0;
        foreach (var entry in entries)
        {
            if (onDisk.TryGetValue(entry.Name, out int uses))
            {
                onDisk[entry.Name] = uses + 1;
                continue;
            }
            WriteLine(output, fromStdin ? $"Not found: {prefix}{entry.Name}" : $"In {settings.Config} but not found: {prefix}{entry.Name}");
            problems++;
        }
        foreach (var (file, uses) in onDisk.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (uses == 0)
            {
                WriteLine(output, fromStdin ? $"Unused: {file}" : $"Not in {settings.Config}: {file}");
                problems++;
            }
            else if (uses > 1)
            {
                WriteLine(output, fromStdin ? $"Warning: multiple uses: {file}" : $"Warning: multiple uses in {settings.Config}: {file}");
            }
        }
        return problems & 0xFF;
    }

    /// <summary>Files to check against: a directory tree, or the lines of a file for <c>@FILE</c>.</summary>
    private static List<string> FilesIn(string prefix, string path, PosixFiles files)
    {
        if (path.StartsWith('@'))
        {
            string listFile = path[1..];
            if (!files.TryReadAll(listFile, out byte[] content, out int errno))
                throw new GuardsDied($"{listFile}: {PosixFiles.ErrorText(errno)}", errno);
            // guards strips the prefix from each line with s:^$prefix:: — the prefix is a regular expression there.
            Regex leading;
            try
            {
                leading = new Regex("^" + prefix, RegexOptions.CultureInvariant);
            }
            catch (ArgumentException e)
            {
                throw new GuardsDied($"The prefix {prefix} is not a valid regular expression: {e.Message}", DieWithoutErrno);
            }
            return ByteText.ChompedLines(ByteText.FromBytes(content)).Select(line => leading.Replace(line, "", 1)).ToList();
        }

        var found = new List<string>();
        Walk(prefix, Slashme(path), files, found);
        return found;
    }

    private static readonly Regex Ignored = new(@"^(\.|\.\.|\.#.*|CVS|.*~)$", RegexOptions.CultureInvariant);

    private static void Walk(string prefix, string path, PosixFiles files, List<string> found)
    {
        string directory = prefix + path;
        if (!files.CanOpenDirectory(directory.Length > 0 ? directory : ".", out int errno))
            throw new GuardsDied($"{directory}: {PosixFiles.ErrorText(errno)}", errno);
        foreach (string name in files.EntryNames(directory.Length > 0 ? directory : "."))
        {
            if (Ignored.IsMatch(name)) continue;
            if (files.IsDirectory(directory + name)) Walk(prefix, path + name + "/", files, found);
            else found.Add(path + name);
        }
    }

    /// <summary>
    /// Opens the list as perl's two-argument open does: white space around the name is dropped, a
    /// leading <c>&lt;</c> means reading, and <c>-</c> is standard input. Opening for writing or
    /// through a pipe, which that open also allows, is refused.
    /// </summary>
    private static string ReadConfig(string config, GuardsEnvironment env, PosixFiles files)
    {
        if (config == "-") return ReadAll(env.Input);
        string name = TrimSpace(config);
        bool reading = name.StartsWith('<');
        if (reading) name = TrimSpace(name[1..]);
        bool otherMode = reading ? name.StartsWith('&') : name.Length > 0 && name[0] is '>' or '+' or '|' || name.EndsWith('|');
        if (otherMode)
            throw new GuardsDied($"{config}: kpk guards only reads files (perl's open modes for writing, duplicating and pipes are not supported)", 1);
        if (name == "-") return ReadAll(env.Input);
        if (!files.TryReadAll(name, out byte[] content, out int errno))
            throw new GuardsDied($"{config}: {PosixFiles.ErrorText(errno)}", errno);
        return ByteText.FromBytes(content);
    }

    private static string TrimSpace(string s)
    {
        int start = 0, end = s.Length;
        while (start < end && ByteText.IsSpace(s[start])) start++;
        while (end > start && ByteText.IsSpace(s[end - 1])) end--;
        return s[start..end];
    }

    private static string ReadAll(Stream input)
    {
        var data = new MemoryStream();
        input.CopyTo(data);
        return ByteText.FromBytes(data.ToArray());
    }

    /// <summary>A directory name with a slash at its end, and <c>./</c> as nothing (guards' slashme).</summary>
    public static string Slashme(string dir)
    {
        // s#([^/])$#$&/#: perl's $ also matches before a final newline, as .NET's does.
        string slashed = SlashAfterLast.Replace(dir, "$1/", 1);
        return slashed == "./" ? "" : slashed;
    }

    private static readonly Regex SlashAfterLast = new(@"([^/])$", RegexOptions.CultureInvariant);

    /// <summary>perl's <c>split(/:/, $s)</c>: empty fields are kept except at the end.</summary>
    private static List<string> SplitColons(string joined)
    {
        var parts = joined.Split(':').ToList();
        while (parts.Count > 0 && parts[^1].Length == 0) parts.RemoveAt(parts.Count - 1);
        return parts;
    }

    private static string HelpText(string program, PerlNumber defaultValue) =>
        $"{program} - select from a list of files guarded by conditions\n" +
        $"SYNOPSIS: {program} [--prefix=dir] [--path=dir1:dir2:...]\n" +
        "\t[--default=0|1] [--check|--list] [--invert-match]\n" +
        "\t[--with-guards] [--config=file] symbol ...\n\n" +
        $"\tDefaults: --default={defaultValue.Text}\n" +
        "\tUse --path=@<file> to read the list of entries from <file>\n";

    private static void WriteLine(Stream stream, string byteText) => Write(stream, byteText + "\n");

    private static void Write(Stream stream, string byteText)
    {
        byte[] bytes = ByteText.ToBytes(byteText);
        stream.Write(bytes, 0, bytes.Length);
    }

    /// <summary>perl's <c>die</c>: a message for standard error and the exit status (errno, or 255).</summary>
    private sealed class GuardsDied(string message, int exitStatus) : Exception(message)
    {
        public int ExitStatus { get; } = exitStatus == 0 ? DieWithoutErrno : exitStatus & 0xFF;
    }
}
