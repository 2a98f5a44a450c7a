using System.Text.RegularExpressions;
using Kpk.Core;

namespace Kpk.Wedge;

/// <summary>
/// The module files under a kernel's module directory (paths relative to it, "/"-separated) and
/// the modules built into the kernel (modules.builtin). Files are listed in the order perl's
/// File::Find visits them when following symlinks — each directory's own entries in readdir
/// order, then its subdirectories last-first — because a module list line that matches several
/// files takes the first one in that order.
/// </summary>
public sealed class ModuleTree
{
    /// <summary>A module file name: .ko, possibly compressed (".zstd", which is what the reference looks for).</summary>
    public static readonly Regex ModuleFileName = new(@"\.ko(?:\.(?:xz|zstd))?$", RegexOptions.CultureInvariant);

    private ModuleTree(string root, IReadOnlyList<string> files, IReadOnlyList<string> builtin, bool exists)
    {
        Root = root;
        Files = files;
        Builtin = builtin;
        Exists = exists;
    }

    public string Root { get; }
    public IReadOnlyList<string> Files { get; }
    public IReadOnlyList<string> Builtin { get; }
    public bool Exists { get; }

    /// <summary>Scans <paramref name="root"/>; modules.builtin is read only for Linux, as the reference does.</summary>
    public static ModuleTree Scan(string root, bool linux)
    {
        var files = new List<string>();
        bool exists = Directory.Exists(root);
        if (exists)
        {
            var seen = new Dictionary<string, string>(StringComparer.Ordinal);
            Visit(root, "", files, seen);
        }
        var builtin = new List<string>();
        if (linux)
        {
            try { builtin.AddRange(PerlText.ReadLines(Path.Combine(root, "modules.builtin"))); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* no built-in modules */ }
        }
        return new ModuleTree(root, files, builtin, exists);
    }

    private static void Visit(string dir, string relative, List<string> files, Dictionary<string, string> seen)
    {
        // A directory reached twice (a symlink loop, or a second link to it) would list its modules
        // under two names, and a plain name could then pick either: refused, as the reference refuses it.
        string real = RealPath(dir);
        if (seen.TryGetValue(real, out var first))
            throw new KpkException($"{dir}: the module tree reaches this directory a second time (first as {(first.Length == 0 ? "." : first)}): a symlink loop or a second link to it", WedgeExit.Died);
        seen[real] = relative;
        var subdirs = new List<(string Path, string Relative)>();
        IEnumerable<string> entries;
        try { entries = Directory.EnumerateFileSystemEntries(dir).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        foreach (var entry in entries)
        {
            string name = Path.GetFileName(entry);
            string rel = relative.Length == 0 ? name : relative + "/" + name;
            if (Directory.Exists(entry)) subdirs.Add((entry, rel)); // follows symlinks
            else if (ModuleFileName.IsMatch(name)) files.Add(rel); // dangling links included, as File::Find reports them
        }
        for (int i = subdirs.Count - 1; i >= 0; i--)
        {
            // File::Find reports a directory when it enters it; one named like a module counts as one.
            if (ModuleFileName.IsMatch(Path.GetFileName(subdirs[i].Path))) files.Add(subdirs[i].Relative);
            Visit(subdirs[i].Path, subdirs[i].Relative, files, seen);
        }
    }

    private static string RealPath(string dir) => NativePath.RealPath(dir) ?? Path.GetFullPath(dir);
}
