using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Kpk.Core;
using Kpk.Series.Apply;
using Kpk.Tests;

namespace Kpk.Series.Apply.Tests;

/// <summary>
/// A vanilla tree, a kernel-source-like directory (series.conf + patches) and a scratch directory
/// in a temporary place. Patches are made with diff(1) from texts the test states, and the test
/// keeps a model of the tree after each patch to compare the real tree with.
/// </summary>
internal sealed class SeriesWorkspace : IDisposable
{
    private readonly TempDir _temp = TestPaths.TempDir("kpk-series");

    public SeriesWorkspace()
    {
        Directory.CreateDirectory(Vanilla);
        Directory.CreateDirectory(Source);
    }

    public string Root => _temp.Path;
    public string Vanilla => _temp["linux-6.1"];
    public string Source => _temp["kernel-source"];
    public string Scratch => _temp["scratch"];
    public string SeriesConf => Path.Combine(Source, "series.conf");

    public void WriteVanilla(string relative, string text, UnixFileMode? mode = null)
    {
        string path = Path.Combine(Vanilla, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        if (mode != null) File.SetUnixFileMode(path, mode.Value);
    }

    public string AddPatch(string name, string text)
    {
        string path = Path.Combine(Source, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return name;
    }

    public void WriteSeries(params string[] lines) => File.WriteAllText(SeriesConf, string.Join("\n", lines) + "\n");

    public SeriesApplyResult Apply(Func<SeriesApplyOptions, SeriesApplyOptions>? adjust = null, IReporter? reporter = null, CancellationToken cancel = default)
    {
        var options = new SeriesApplyOptions { Vanilla = Vanilla, Series = SeriesConf, ScratchDirectory = Scratch };
        if (adjust != null) options = adjust(options);
        return new SeriesApplier(new GuardsSeriesSelector(), reporter ?? new RecordingReporter()).Apply(options, cancel);
    }

    public string Tree(string symbolsSuffix = "") => Path.Combine(Scratch, "linux-6.1-patched" + symbolsSuffix);

    public void Dispose()
    {
        // Unpacked tarballs are read-only; make them writable so the temp dir can go.
        foreach (var f in new DirectoryInfo(_temp.Path).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            if (f.LinkTarget == null) try { f.UnixFileMode |= UnixFileMode.UserWrite; } catch (IOException) { }
        _temp.Dispose();
    }
}

/// <summary>Unified diffs made by diff(1), the way patches in a series look.</summary>
internal static class Diff
{
    public static string Modify(string relative, string before, string after) => Run($"a/{relative}", $"b/{relative}", before, after);
    public static string Create(string relative, string text) => Run("/dev/null", $"b/{relative}", null, text);
    public static string Delete(string relative, string text) => Run($"a/{relative}", "/dev/null", text, null);

    private static string Run(string oldLabel, string newLabel, string? before, string? after)
    {
        string dir = Directory.CreateTempSubdirectory("kpk-diff").FullName;
        try
        {
            string a = before == null ? "/dev/null" : Path.Combine(dir, "a");
            string b = after == null ? "/dev/null" : Path.Combine(dir, "b");
            if (before != null) File.WriteAllText(a, before);
            if (after != null) File.WriteAllText(b, after);
            var run = Tools.Run("diff", dir, "-u", "--label", oldLabel, "--label", newLabel, a, b);
            Assert.True(run.Exit == 1, "diff found no difference: " + run.Err);
            return run.Out;
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

/// <summary>Runs a program and captures what it printed.</summary>
internal static class Tools
{
    public sealed record Result(int Exit, string Out, string Err);

    public static Result Run(string program, string directory, params string[] args) => RunWith(program, directory, null, args);

    public static Result RunWith(string program, string directory, string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (stdin != null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        p.WaitForExit();
        return new Result(p.ExitCode, o.Result, e.Result);
    }

    /// <summary>quilt in TREE, without any quiltrc of the machine.</summary>
    public static Result Quilt(string tree, params string[] args) => Run("quilt", tree, ["--quiltrc=-", .. args]);

    /// <summary>Inode number and link count.</summary>
    public static (long Inode, int Links) Stat(string path)
    {
        var r = Run("stat", "/", "-c", "%i %h", path);
        Assert.Equal(0, r.Exit);
        var parts = r.Out.Trim().Split(' ');
        return (long.Parse(parts[0]), int.Parse(parts[1]));
    }
}

/// <summary>What a tree holds, for comparisons.</summary>
internal static class TreeSnapshot
{
    private static readonly string[] QuiltTopLevel = [".pc", "series", "patches"];

    /// <summary>Every file's content (symlinks as "-> target"), quilt's own entries left out.</summary>
    public static SortedDictionary<string, string> Contents(string root)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        Walk(root, root, (rel, info) =>
        {
            if (info.LinkTarget != null) result[rel] = "-> " + info.LinkTarget;
            else if (info is FileInfo) result[rel] = File.ReadAllText(info.FullName);
        }, skipQuilt: true);
        return result;
    }

    /// <summary>
    /// Everything that would show a write into a tree: each entry's kind, mode, modification time
    /// and content hash, directories included (a file added or removed changes a directory's time).
    /// </summary>
    /// <remarks>
    /// <paramref name="withTimes"/>: false for checks after running quilt, which stamps the times
    /// of the files it backs up and restores — in a hard-linked tree, the vanilla tree's files too.
    /// </remarks>
    public static SortedDictionary<string, string> Manifest(string root, bool withTimes = true)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        Walk(root, root, (rel, info) =>
        {
            string kind = info.LinkTarget != null ? "link " + info.LinkTarget : info is DirectoryInfo ? "dir" : "file";
            string hash = info is FileInfo && info.LinkTarget == null ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(info.FullName))) : "";
            result[rel] = $"{kind} {info.UnixFileMode} {(withTimes ? info.LastWriteTimeUtc.Ticks : 0)} {hash}";
        }, skipQuilt: false);
        var top = new DirectoryInfo(root);
        result["."] = $"dir {top.UnixFileMode} {(withTimes ? top.LastWriteTimeUtc.Ticks : 0)}";
        return result;
    }

    private static void Walk(string root, string dir, Action<string, FileSystemInfo> visit, bool skipQuilt)
    {
        foreach (var info in new DirectoryInfo(dir).EnumerateFileSystemInfos())
        {
            string rel = Path.GetRelativePath(root, info.FullName);
            if (skipQuilt && dir == root && QuiltTopLevel.Contains(info.Name)) continue;
            visit(rel, info);
            if (info is DirectoryInfo && info.LinkTarget == null) Walk(root, info.FullName, visit, skipQuilt);
        }
    }

    public static string Describe(SortedDictionary<string, string> a, SortedDictionary<string, string> b)
    {
        var text = new StringBuilder();
        foreach (var k in a.Keys.Union(b.Keys).Order(StringComparer.Ordinal))
        {
            a.TryGetValue(k, out var x);
            b.TryGetValue(k, out var y);
            if (x != y) text.Append($"{k}: expected [{x}] got [{y}]\n");
        }
        return text.ToString();
    }

    public static void AssertSame(SortedDictionary<string, string> expected, SortedDictionary<string, string> actual)
    {
        string differences = Describe(expected, actual);
        Assert.True(differences.Length == 0, "trees differ:\n" + differences);
    }
}
