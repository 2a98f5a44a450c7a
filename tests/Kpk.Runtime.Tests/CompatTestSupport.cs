using System.CommandLine;
using Kpk.Build;
using Kpk.Cli.Commands;
using Kpk.Cli.Compat;
using Kpk.Tests;

namespace Kpk.Runtime.Tests;

/// <summary>A machine for the drop-in command lines: a temporary directory standing in for the files the tools look up.</summary>
public sealed class CompatMachine : IDisposable
{
    private readonly TempDir _dir = TestPaths.TempDir("kpk-compat");
    public const string Running = "6.1.0-13-amd64";

    public CompatMachine()
    {
        Directory.CreateDirectory(Cwd);
    }

    public string Root => _dir.Path;
    /// <summary>The working directory the command runs in.</summary>
    public string Cwd => Path.Combine(_dir.Path, "work");

    /// <summary>Absolute paths the host reports as existing without a file on disk (/boot/config-RELEASE and the like).</summary>
    public HashSet<string> SystemFiles { get; } = new();
    public Dictionary<string, string> ModuleReleases { get; } = new();

    public string File(string relative, string content = "")
    {
        string path = Path.Combine(Cwd, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    public string Dir(string relative) => Directory.CreateDirectory(Path.Combine(Cwd, relative)).FullName;

    public CompatHost Host => new(Running, p => SystemFiles.Contains(p) || System.IO.File.Exists(p), Directory.Exists, Cwd,
        p => ModuleReleases.GetValueOrDefault(p));

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// Parses translated arguments as kpk create's own and builds the request, as the drop-ins do.
    /// Options create does not have are set aside and returned (tests expect none), so a
    /// translation into an option create lacks shows up rather than failing the parse.
    /// </summary>
    public static (CreateRequest Request, List<string> NotYetInCreate) Request(IReadOnlyList<string> createArguments)
    {
        var verb = CreateCommand.Verb();
        var known = verb.Command.Options.SelectMany(o => o.Aliases.Append(o.Name)).ToHashSet();
        var pending = createArguments.Where(a => a.StartsWith("--", StringComparison.Ordinal) && !known.Contains(a.Split('=')[0])).ToList();
        var parse = verb.Command.Parse(createArguments.Except(pending).ToArray());
        if (parse.Errors.Count > 0) throw new InvalidOperationException(string.Join("; ", parse.Errors.Select(e => e.Message)));
        var env = new Dictionary<string, string?> { ["KPK_CACHE"] = "/tmp/kpk-compat-cache" };
        return (CreateRequestBuilder.Build(CreateCommand.Arguments(verb, parse), env).Request, pending);
    }
}
