using System.Formats.Tar;
using System.IO.Compression;
using Kpk.Core;

namespace Kpk.Runtime;

/// <summary>
/// Unpacks a .tar.gz so that nothing lands outside the target directory. Refused (with the entry
/// named): absolute names, names with a ".." component, links whose target leaves the directory,
/// entries that pass through or overwrite a link unpacked earlier, devices and fifos. A refusal
/// happens before the offending entry is written; the caller discards the partial directory.
/// </summary>
public static class SafeTarExtractor
{
    /// <summary>Largest total of file sizes accepted: a live patch tarball is a module and a few patches.</summary>
    public const long MaxTotalBytes = 1L << 30;

    public static void Extract(string archive, string destination)
    {
        string root = Path.GetFullPath(destination);
        Directory.CreateDirectory(root);
        long total = 0;
        try
        {
            using var file = File.OpenRead(archive);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var reader = new TarReader(gzip);
            while (reader.GetNextEntry() is { } entry)
            {
                string target = CheckedPath(root, entry.Name, archive);
                CheckNoLinkOnPath(root, target, archive, entry.Name);
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        Directory.CreateDirectory(target);
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        total += entry.Length;
                        if (total > MaxTotalBytes) throw Refuse(archive, entry.Name, $"more than {MaxTotalBytes} bytes unpacked");
                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        using (var output = new FileStream(target, FileMode.Create, FileAccess.Write))
                            entry.DataStream?.CopyTo(output);
                        break;
                    case TarEntryType.SymbolicLink:
                        {
                            // A relative target is resolved from the link's directory, an absolute one from /.
                            if (Path.IsPathRooted(entry.LinkName)) throw Refuse(archive, entry.Name, $"symbolic link to absolute path {entry.LinkName}");
                            string resolved = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(target)!, entry.LinkName));
                            if (!IsInside(root, resolved)) throw Refuse(archive, entry.Name, $"symbolic link to {entry.LinkName} points outside the directory");
                            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                            File.CreateSymbolicLink(target, entry.LinkName);
                            break;
                        }
                    case TarEntryType.HardLink:
                        {
                            // Hard link names are archive paths; we copy the file rather than link, so nothing is shared with the outside.
                            string source = CheckedPath(root, entry.LinkName, archive);
                            CheckNoLinkOnPath(root, source, archive, entry.LinkName);
                            if (!File.Exists(source) || new FileInfo(source).LinkTarget != null)
                                throw Refuse(archive, entry.Name, $"hard link to {entry.LinkName}, which is not a file unpacked before it");
                            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                            File.Copy(source, target, overwrite: true);
                            break;
                        }
                    case TarEntryType.GlobalExtendedAttributes:
                        break;
                    default:
                        throw Refuse(archive, entry.Name, $"entry type {entry.EntryType} is not allowed in a kpk tarball");
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new KpkException($"{archive}: not a valid .tar.gz: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{archive}: cannot unpack: {e.Message}");
        }
    }

    private static string CheckedPath(string root, string name, string archive)
    {
        if (string.IsNullOrEmpty(name)) throw Refuse(archive, name, "empty name");
        if (name.Contains('\0')) throw Refuse(archive, name, "NUL in name");
        if (name.StartsWith('/')) throw Refuse(archive, name, "absolute path");
        if (name.Split('/').Contains("..")) throw Refuse(archive, name, "path with \"..\"");
        string full = Path.GetFullPath(Path.Combine(root, name));
        if (!IsInside(root, full) && full != root) throw Refuse(archive, name, "path outside the directory");
        return full;
    }

    /// <summary>A link unpacked earlier must not redirect a later entry: no entry goes through or over one.</summary>
    private static void CheckNoLinkOnPath(string root, string full, string archive, string name)
    {
        for (string? dir = full; dir != null && IsInside(root, dir); dir = Path.GetDirectoryName(dir))
        {
            // LinkTarget reads the link itself (lstat/readlink), so a dangling link is caught too.
            if (new FileInfo(dir).LinkTarget != null)
                throw Refuse(archive, name, $"goes through or replaces the link {Path.GetRelativePath(root, dir)}");
        }
    }

    private static bool IsInside(string root, string full) =>
        full.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal);

    private static KpkException Refuse(string archive, string entry, string why) =>
        new($"{archive}: refusing entry \"{entry}\": {why}");
}
