using System.Runtime.InteropServices;

namespace Kpk.Series.Guards;

/// <summary>
/// File access the way perl does it, so failures carry the same errno (and thus the same message
/// and exit status as <c>die "$file: $!\n"</c>): open(2) on the exact bytes of a name, opendir(3).
/// Relative names resolve against <see cref="WorkingDirectory"/> when one is given, so callers
/// (and tests) need not change the process's current directory.
/// </summary>
public sealed class PosixFiles(string? workingDirectory = null)
{
    private const int ENOENT = 2;

    public string? WorkingDirectory { get; } = workingDirectory;

    /// <summary>The C library's text for an errno, as perl's <c>$!</c> prints it.</summary>
    public static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    /// <summary>
    /// Reads a whole file named by a byte string. A directory opens but reads as empty, as it
    /// does in perl; a read error ends the data like an end of file.
    /// </summary>
    public bool TryReadAll(string byteName, out byte[] content, out int errno)
    {
        content = [];
        if (byteName.Length == 0)
        {
            errno = ENOENT; // open("") fails so; prefixing a working directory must not turn it into that directory
            return false;
        }
        int fd = Native.open(NativeName(byteName), 0 /* O_RDONLY */);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return false;
        }
        errno = 0;
        try
        {
            var data = new MemoryStream();
            var buffer = new byte[64 * 1024];
            while (true)
            {
                nint n = Native.read(fd, buffer, buffer.Length);
                if (n <= 0) break;
                data.Write(buffer, 0, (int)n);
            }
            content = data.ToArray();
            return true;
        }
        finally
        {
            Native.close(fd);
        }
    }

    /// <summary>Whether opendir(3) would open this directory, and its errno when not.</summary>
    public bool CanOpenDirectory(string byteName, out int errno)
    {
        if (byteName.Length == 0)
        {
            errno = ENOENT;
            return false;
        }
        nint dir = Native.opendir(NativeName(byteName));
        if (dir == 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return false;
        }
        Native.closedir(dir);
        errno = 0;
        return true;
    }

    /// <summary>The entry names of a directory (without . and ..) as byte strings, in readdir order.</summary>
    public IEnumerable<string> EntryNames(string byteName)
    {
        IEnumerable<FileSystemInfo> entries;
        try
        {
            entries = new DirectoryInfo(UnicodePath(byteName)).EnumerateFileSystemInfos();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        using var it = entries.GetEnumerator();
        while (true)
        {
            string name;
            try
            {
                if (!it.MoveNext()) yield break;
                name = it.Current.Name;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                yield break; // readdir stops at an error; so does perl's loop
            }
            yield return ByteText.FromUnicode(name);
        }
    }

    /// <summary>perl's <c>-d</c>: a directory, following symbolic links.</summary>
    public bool IsDirectory(string byteName) => byteName.Length > 0 && Directory.Exists(UnicodePath(byteName));

    private string UnicodePath(string byteName)
    {
        string path = ByteText.ToUnicode(byteName);
        return WorkingDirectory != null && !path.StartsWith('/') ? Path.Combine(WorkingDirectory, path) : path;
    }

    private byte[] NativeName(string byteName)
    {
        string full = WorkingDirectory != null && !byteName.StartsWith('/')
            ? ByteText.FromUnicode(WorkingDirectory.TrimEnd('/')) + "/" + byteName
            : byteName;
        var bytes = new byte[full.Length + 1];
        ByteText.ToBytes(full).CopyTo(bytes, 0);
        return bytes; // NUL-terminated
    }

    private static class Native
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int open(byte[] path, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern nint read(int fd, byte[] buffer, nint count);

        [DllImport("libc")]
        public static extern int close(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern nint opendir(byte[] path);

        [DllImport("libc")]
        public static extern int closedir(nint dir);
    }
}
