namespace Kpk.Wedge;

/// <summary>
/// Copies files the way tar and cp -a do: symlinks stay symlinks, modes and modification times
/// are kept, directories are copied whole, an existing target is replaced.
/// </summary>
public static class TreeCopy
{
    public static void CopyEntry(string source, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var info = new FileInfo(source);
        if (info.LinkTarget != null)
        {
            Remove(target);
            File.CreateSymbolicLink(target, info.LinkTarget);
        }
        else if (Directory.Exists(source))
        {
            var dir = new DirectoryInfo(source);
            if (File.Exists(target) || new FileInfo(target).LinkTarget != null) Remove(target);
            Directory.CreateDirectory(target);
            foreach (var entry in dir.EnumerateFileSystemInfos())
                CopyEntry(entry.FullName, Path.Combine(target, entry.Name));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(target, dir.UnixFileMode);
            Directory.SetLastWriteTimeUtc(target, dir.LastWriteTimeUtc);
        }
        else
        {
            Remove(target);
            File.Copy(source, target);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(target, info.UnixFileMode);
            File.SetLastWriteTimeUtc(target, info.LastWriteTimeUtc);
        }
    }

    /// <summary>Removes a file or symlink in the way (not a directory with contents).</summary>
    private static void Remove(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget != null || info.Exists) info.Delete();
    }
}
