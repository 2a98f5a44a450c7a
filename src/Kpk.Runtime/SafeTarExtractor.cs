using System.Formats.Tar;
using System.IO.Compression;
using Kpk.Core;

namespace Kpk.Runtime;

/// <summary>
/// Unpacks a live patch tarball into a new private directory. What <c>kpk create</c> writes is
/// regular files and directories, so that is all a tarball may hold: links (symbolic or hard),
/// devices, fifos and sparse files are refused, whatever they point at — judging a link by the
/// text of its target is what let chains of links lead outside. Every name must be a plain
/// relative path (no "/" at the start, no "..", "." or empty component, no NUL), listed once, and
/// no entry may sit below a file; sizes and the number of entries are bounded. A refusal names
/// the entry and happens before it is written; the caller discards the partial directory.
/// Files are created with O_EXCL semantics (<see cref="FileMode.CreateNew"/>), so nothing is ever
/// written over or through something that was already there.
/// </summary>
public static class SafeTarExtractor
{
    /// <summary>Largest total of file sizes accepted: a live patch tarball is a module and a few patches.</summary>
    public const long MaxTotalBytes = 1L << 30;
    /// <summary>Largest single file: a module with its DWARF stays far below this.</summary>
    public const long MaxEntryBytes = 256L << 20;
    public const int MaxEntries = 10_000;
    private const int MaxNameLength = 1024;

    /// <summary>Unpacks <paramref name="archive"/> into <paramref name="destination"/> (which must not exist or be empty).</summary>
    public static UnpackedArchive Extract(string archive, string destination)
    {
        string root = Path.GetFullPath(destination);
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
            throw new KpkException($"{archive}: cannot unpack into {root}: the directory is not empty");
        Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var entries = new Dictionary<string, bool>(StringComparer.Ordinal); // name -> is a directory
        var explicitNames = new HashSet<string>(StringComparer.Ordinal);
        var files = new List<string>();
        long total = 0;
        try
        {
            using var file = File.OpenRead(archive);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var reader = new TarReader(gzip);
            while (reader.GetNextEntry() is { } entry)
            {
                if (entry.EntryType == TarEntryType.GlobalExtendedAttributes) continue; // metadata only, no file
                if (explicitNames.Count >= MaxEntries) throw Refuse(archive, entry.Name, $"more than {MaxEntries} entries");
                bool isDirectory = entry.EntryType == TarEntryType.Directory;
                if (!isDirectory && entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                    throw Refuse(archive, entry.Name, $"{Describe(entry)}; a kpk tarball holds only regular files and directories");
                string name = CheckedName(archive, entry.Name, isDirectory);
                if (!explicitNames.Add(name)) throw Refuse(archive, entry.Name, "listed twice");
                ClaimParents(archive, entry.Name, name, entries);
                if (entries.TryGetValue(name, out bool wasDirectory) && !(wasDirectory && isDirectory))
                    throw Refuse(archive, entry.Name, $"a {(wasDirectory ? "directory" : "file")} of that name is already in the archive");
                entries[name] = isDirectory;
                string target = Path.Combine(root, name);
                if (isDirectory)
                {
                    Directory.CreateDirectory(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                    continue;
                }
                if (entry.Length > MaxEntryBytes) throw Refuse(archive, entry.Name, $"{entry.Length} bytes, more than the {MaxEntryBytes} a file may have");
                total += entry.Length;
                if (total > MaxTotalBytes) throw Refuse(archive, entry.Name, $"more than {MaxTotalBytes} bytes unpacked");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
                using (var output = new FileStream(target, options))
                    entry.DataStream?.CopyTo(output);
                files.Add(name);
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ArgumentException)
        {
            throw new KpkException($"{archive}: not a valid .tar.gz: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{archive}: cannot unpack: {e.Message}");
        }
        return new UnpackedArchive(archive, root, files);
    }

    private static string Describe(TarEntry entry) => entry.EntryType switch
    {
        TarEntryType.SymbolicLink => $"a symbolic link (to {entry.LinkName})",
        TarEntryType.HardLink => $"a hard link (to {entry.LinkName})",
        TarEntryType.CharacterDevice or TarEntryType.BlockDevice => "a device node",
        TarEntryType.Fifo => "a fifo",
        _ => $"an entry of type {entry.EntryType}",
    };

    /// <summary>The name without a directory's trailing "/", refused unless it is a plain relative path.</summary>
    private static string CheckedName(string archive, string raw, bool isDirectory)
    {
        string name = isDirectory && raw.EndsWith('/') ? raw[..^1] : raw;
        if (name.Length == 0) throw Refuse(archive, raw, "empty name");
        if (name.Length > MaxNameLength) throw Refuse(archive, raw[..64] + "...", $"name longer than {MaxNameLength} characters");
        if (name.Contains('\0')) throw Refuse(archive, raw, "NUL in name");
        if (name.StartsWith('/')) throw Refuse(archive, raw, "absolute path");
        foreach (string part in name.Split('/'))
        {
            if (part == "..") throw Refuse(archive, raw, "path with \"..\"");
            if (part is "" or ".") throw Refuse(archive, raw, "path with an empty or \".\" component");
        }
        return name;
    }

    /// <summary>Records the directories above <paramref name="name"/>; none of them may be a file of the archive.</summary>
    private static void ClaimParents(string archive, string raw, string name, Dictionary<string, bool> entries)
    {
        for (int slash = name.IndexOf('/'); slash >= 0; slash = name.IndexOf('/', slash + 1))
        {
            string parent = name[..slash];
            if (entries.TryGetValue(parent, out bool isDirectory) && !isDirectory)
                throw Refuse(archive, raw, $"below {parent}, which is a file of the archive");
            entries[parent] = true;
        }
    }

    private static KpkException Refuse(string archive, string entry, string why) =>
        new($"{archive}: refusing entry \"{entry}\": {why}");
}
