using System.Runtime.InteropServices;
using Kpk.Core;
using static Kpk.Series.Apply.Posix;

namespace Kpk.Series.Apply;

/// <summary>
/// Makes TARGET a copy of SOURCE in which every file is a hard link to the source's file (as
/// <c>cp -rld</c> does): cheap in time and space, and safe because GNU patch never writes a file in
/// place — it writes a new file and renames it over the old name, which breaks the link.
/// Symbolic links are recreated, directories made with the source's mode. Where hard links are
/// impossible (another file system, too many links) the file is copied instead.
/// </summary>
internal static class HardLinkTree
{
    /// <summary>Links SOURCE into TARGET (which must not exist). Returns how many files were copied instead of linked.</summary>
    public static int Create(string source, string target, CancellationToken cancel)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("hard-linked trees need a Unix system");
        int copied = 0, seen = 0;
        var pending = new Stack<(DirectoryInfo From, string To)>();
        var directories = new List<(string Path, UnixFileMode Mode)>();
        pending.Push((new DirectoryInfo(source), target));
        while (pending.Count > 0)
        {
            cancel.ThrowIfCancellationRequested();
            var (from, to) = pending.Pop();
            Directory.CreateDirectory(to);
            directories.Add((to, from.UnixFileMode));
            foreach (var entry in from.EnumerateFileSystemInfos())
            {
                if (++seen % 1024 == 0) cancel.ThrowIfCancellationRequested();
                string destination = Path.Combine(to, entry.Name);
                if (entry.LinkTarget is { } linkTarget)
                    File.CreateSymbolicLink(destination, linkTarget);
                else if (entry is DirectoryInfo dir)
                    pending.Push((dir, destination));
                else if (Link(entry.FullName, destination) is var errno and not 0)
                {
                    if (errno is not (EXDEV or EMLINK or EPERM))
                        throw new KpkException($"cannot link {entry.FullName} to {destination}: {Marshal.GetPInvokeErrorMessage(errno)}");
                    CopyRegularFile(entry, destination);
                    copied++;
                }
            }
        }
        // Modes last, deepest first, so a read-only source directory does not stop us filling its copy.
        for (int i = directories.Count - 1; i >= 0; i--)
            File.SetUnixFileMode(directories[i].Path, directories[i].Mode);
        return copied;
    }

    private static void CopyRegularFile(FileSystemInfo entry, string destination)
    {
        if ((entry.Attributes & (FileAttributes.Device | FileAttributes.System)) != 0 || entry is not FileInfo)
            throw new KpkException($"{entry.FullName}: not a regular file, directory or symbolic link; cannot copy it");
        File.Copy(entry.FullName, destination);
    }
}
