using System.Runtime.InteropServices;
using Kpk.Core;
using Microsoft.Win32.SafeHandles;

namespace Kpk.Runtime;

/// <summary>
/// What <see cref="SafeTarExtractor"/> unpacked: the directory and the regular files that came out
/// of the archive. Files are only ever opened from this list, one path component at a time with
/// O_NOFOLLOW, so even if something replaced a part of the tree with a link after unpacking, kpk
/// would refuse rather than read or load what the link points at.
/// </summary>
public sealed class UnpackedArchive(string archive, string root, IReadOnlyList<string> files)
{
    private readonly HashSet<string> _files = new(files, StringComparer.Ordinal);

    public string Archive { get; } = archive;
    public string Root { get; } = root;
    /// <summary>Relative names of the regular files, in archive order.</summary>
    public IReadOnlyList<string> Files { get; } = files;

    public bool Contains(string name) => _files.Contains(name);

    /// <summary>The unpacked path of a file of the archive.</summary>
    public string PathOf(string name) => Path.Combine(Root, name);

    /// <summary>Reads a file that came out of the archive; refused when it did not or is no longer a plain file.</summary>
    public byte[] ReadAllBytes(string name)
    {
        if (!Contains(name)) throw new KpkException($"{Archive}: {name} is not a file of the archive");
        using var handle = NoFollow.OpenFile(Root, name, $"{Archive}: {name}");
        try
        {
            using var stream = new FileStream(handle, FileAccess.Read);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{Archive}: {name}: {e.Message}");
        }
    }
}

/// <summary>
/// open(2) and openat(2) with O_NOFOLLOW: a path below a trusted directory is opened one component
/// at a time, so that a symbolic link anywhere on it makes the open fail (ELOOP/ENOTDIR) instead of
/// being followed. .NET's own File APIs always follow links.
/// </summary>
internal static partial class NoFollow
{
    private const int ELOOP = 40, ENOTDIR = 20;

    // The flag values differ between architectures: asm-generic (x86-64, riscv, ...) and arm64's own.
    private static readonly bool Arm = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;
    private static int O_NOFOLLOW => Arm ? 0x8000 : 0x20000;
    private static int O_DIRECTORY => Arm ? 0x4000 : 0x10000;
    private const int O_RDONLY = 0, O_CLOEXEC = 0x80000;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenAt(int dirFd, string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    /// <summary>Opens ROOT/RELATIVE for reading; ROOT itself is trusted (kpk made it), nothing below it may be a link.</summary>
    public static SafeFileHandle OpenFile(string root, string relative, string what)
    {
        int dir = Open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0) throw Failure(what, Marshal.GetLastPInvokeError());
        string[] parts = relative.Split('/');
        try
        {
            for (int i = 0; i < parts.Length - 1; i++)
            {
                int next = OpenAt(dir, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                int errno = Marshal.GetLastPInvokeError();
                Close(dir);
                dir = next;
                if (dir < 0) throw Failure(what, errno);
            }
            int fd = OpenAt(dir, parts[^1], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) throw Failure(what, Marshal.GetLastPInvokeError());
            return new SafeFileHandle(fd, ownsHandle: true);
        }
        finally
        {
            if (dir >= 0) Close(dir);
        }
    }

    private static KpkException Failure(string what, int errno) => errno switch
    {
        ELOOP or ENOTDIR => new KpkException($"{what}: a symbolic link is on the path; refusing to follow it"),
        _ => new KpkException($"{what}: {Marshal.GetPInvokeErrorMessage(errno)}"),
    };
}
