namespace Kpk.Wedge;

/// <summary>The package build directories under debian/ that hold one kernel's modules.</summary>
public static class PackageDirs
{
    /// <summary>
    /// The names of debian/*-modules-KERNEL-di directories, in the order the shell's glob gives
    /// them in the C locale (hidden entries left out, as the glob leaves them out).
    /// </summary>
    public static IReadOnlyList<string> ModulePackages(WedgeEnvironment env, string kernel)
    {
        string debian = env.Resolve("debian");
        if (!Directory.Exists(debian)) return [];
        string suffix = $"-modules-{kernel}-di";
        var names = new DirectoryInfo(debian).EnumerateDirectories()
            .Select(d => d.Name)
            .Where(n => !n.StartsWith('.') && n.EndsWith(suffix, StringComparison.Ordinal))
            .ToList();
        names.Sort(ByteOrder.Instance);
        return names;
    }

    /// <summary>
    /// Regular files under <paramref name="root"/>, relative to it, as find -type f lists them
    /// (symlinks are not followed and not listed).
    /// </summary>
    public static IEnumerable<string> RegularFiles(string root) =>
        Walk(root).Where(e => e.Entry is FileInfo && e.Entry.LinkTarget == null).Select(e => e.Path);

    /// <summary>
    /// Every entry under <paramref name="root"/> with its path relative to it, depth first,
    /// without descending into symlinked directories (as find and Perl's File::Find walk by
    /// default); unreadable directories are passed over.
    /// </summary>
    public static IEnumerable<(string Path, FileSystemInfo Entry)> Walk(string root)
    {
        var pending = new Stack<(string Dir, string Rel)>();
        pending.Push((root, ""));
        while (pending.Count > 0)
        {
            var (dir, rel) = pending.Pop();
            IEnumerable<FileSystemInfo> entries;
            try { entries = new DirectoryInfo(dir).EnumerateFileSystemInfos().ToList(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            foreach (var entry in entries)
            {
                string path = rel.Length == 0 ? entry.Name : rel + "/" + entry.Name;
                yield return (path, entry);
                if (entry is DirectoryInfo && entry.LinkTarget == null) pending.Push((entry.FullName, path));
            }
        }
    }
}
