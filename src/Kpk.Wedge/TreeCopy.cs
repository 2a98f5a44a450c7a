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
            CopyFile(source, target, OperatingSystem.IsWindows() ? null : info.UnixFileMode, info.LastWriteTimeUtc);
        }
    }

    /// <summary>
    /// Copies a file's content (through links) so that the target is either absent or complete:
    /// written beside it under a temporary name, then renamed over whatever was there.
    /// </summary>
    public static void CopyFile(string source, string target, UnixFileMode? mode, DateTime? modified)
    {
        string temp = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.kpk-{Environment.ProcessId}.tmp");
        try
        {
            File.Copy(source, temp, overwrite: true);
            if (mode is { } m && !OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, m);
            if (modified is { } t) File.SetLastWriteTimeUtc(temp, t);
            Remove(target);
            File.Move(temp, target);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Removes a file or symlink in the way (not a directory with contents).</summary>
    private static void Remove(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget != null || info.Exists) info.Delete();
    }
}
