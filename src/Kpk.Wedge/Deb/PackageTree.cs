using System.Text;
using Kpk.Core;

namespace Kpk.Wedge.Deb;

/// <summary>One file system object of a staged package tree, with its name inside the archive ("./lib/", "./lib/x.ko").</summary>
public sealed record TreeEntry(string ArchiveName, string Path, FileKind Kind, int Mode, long Size, string? LinkTarget, bool IsHardLink);

/// <summary>
/// A staged package tree (debian/PACKAGE/ without its DEBIAN/ directory), listed in the order
/// dpkg-deb archives it: depth first, each directory's entries sorted by byte value, symbolic
/// links held back to the very end so they never precede their targets on extraction; a file
/// seen again through another hard link becomes a hard-link entry. Also measures the
/// Installed-Size the way dpkg-gencontrol does.
/// </summary>
public sealed class PackageTree
{
    private PackageTree(string root, IReadOnlyList<TreeEntry> entries, long installedSize)
    {
        Root = root;
        Entries = entries;
        InstalledSize = installedSize;
    }

    public string Root { get; }
    public IReadOnlyList<TreeEntry> Entries { get; }

    /// <summary>
    /// In KiB: every regular file and symlink rounded up to whole KiB on its own (hard links
    /// once), plus 1 for every directory including the tree's root.
    /// </summary>
    public long InstalledSize { get; }

    public static PackageTree Scan(string root)
    {
        var entries = new List<TreeEntry>();
        var symlinks = new List<TreeEntry>();
        var firstPathOfInode = new Dictionary<(ulong, ulong), string>();
        long installedSize = 0;

        var rootStatus = Status(root);
        if (rootStatus.Kind != FileKind.Directory) throw new KpkException($"{root}: not a directory");
        entries.Add(new TreeEntry("./", root, FileKind.Directory, rootStatus.Mode, 0, null, false));
        installedSize += 1;
        Walk(root, "./", topLevel: true);
        entries.AddRange(symlinks);
        return new PackageTree(root, entries, installedSize);

        void Walk(string dir, string archiveDir, bool topLevel)
        {
            foreach (var name in ListSorted(dir))
            {
                if (topLevel && name == "DEBIAN") continue; // control information, not data
                string path = System.IO.Path.Combine(dir, name);
                var st = Status(path);
                switch (st.Kind)
                {
                    case FileKind.Directory:
                        entries.Add(new TreeEntry(archiveDir + name + "/", path, FileKind.Directory, st.Mode, 0, null, false));
                        installedSize += 1;
                        Walk(path, archiveDir + name + "/", topLevel: false);
                        break;
                    case FileKind.Symlink:
                        string target = new FileInfo(path).LinkTarget
                            ?? throw new KpkException($"{path}: cannot read the symbolic link");
                        symlinks.Add(new TreeEntry(archiveDir + name, path, FileKind.Symlink, 0b111_111_111, 0, target, false));
                        installedSize += KiB(st.Size);
                        break;
                    case FileKind.Regular:
                        string archiveName = archiveDir + name;
                        if (st.LinkCount > 1)
                        {
                            if (firstPathOfInode.TryGetValue((st.Device, st.Inode), out var first))
                            {
                                entries.Add(new TreeEntry(archiveName, path, FileKind.Regular, st.Mode, 0, first, true));
                                break;
                            }
                            firstPathOfInode[(st.Device, st.Inode)] = archiveName;
                        }
                        entries.Add(new TreeEntry(archiveName, path, FileKind.Regular, st.Mode, st.Size, null, false));
                        installedSize += KiB(st.Size);
                        break;
                    default:
                        throw new KpkException($"{path}: is {FileStatus.Describe(st.Kind)}; a udeb can only hold directories, regular files and symbolic links");
                }
            }
        }
    }

    /// <summary>Opens every regular file once, so an unreadable one is reported before anything is written.</summary>
    public void CheckReadable()
    {
        foreach (var e in Entries.Where(e => e.Kind == FileKind.Regular && !e.IsHardLink))
        {
            try
            {
                using var _ = new FileStream(e.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            }
            catch (Exception x) when (x is IOException or UnauthorizedAccessException)
            {
                throw new KpkException($"{e.Path}: cannot read: {IoError.Reason(x)}");
            }
        }
    }

    /// <summary>Whole KiB, rounded up.</summary>
    public static long KiB(long bytes) => (bytes + 1023) / 1024;

    private static FileStatus Status(string path)
    {
        try { return FileStatus.Of(path); }
        catch (IOException e) { throw new KpkException($"{path}: cannot stat: {e.Message}"); }
    }

    /// <summary>Names in a directory in strcmp order of their UTF-8 bytes, as dpkg-deb sorts them.</summary>
    private static List<string> ListSorted(string dir)
    {
        try
        {
            var names = Directory.EnumerateFileSystemEntries(dir).Select(p => System.IO.Path.GetFileName(p)).ToList();
            names.Sort((a, b) => Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b)));
            return names;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{dir}: cannot list the directory: {IoError.Reason(e)}");
        }
    }
}
