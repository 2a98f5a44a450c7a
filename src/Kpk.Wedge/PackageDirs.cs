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
    public static IEnumerable<string> RegularFiles(string root)
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
                if (entry.LinkTarget != null) continue;
                if (entry is DirectoryInfo) pending.Push((entry.FullName, path));
                else yield return path;
            }
        }
    }
}
