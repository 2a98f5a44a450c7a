using System.Runtime.InteropServices;
using Kpk.Core;

namespace Kpk.Series.Apply;

/// <summary>The two system calls .NET does not offer as such: link(2), and rename(2) of a symbolic link that points at a directory.</summary>
internal static partial class Posix
{
    public const int EXDEV = 18, EMLINK = 31, EPERM = 1;

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinkCall(string existing, string newPath);

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameCall(string from, string to);

    /// <summary>Makes a hard link; returns 0 or the errno.</summary>
    public static int Link(string existing, string newPath) =>
        LinkCall(existing, newPath) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Renames atomically, replacing TO.</summary>
    public static void Rename(string from, string to)
    {
        if (RenameCall(from, to) != 0)
            throw new KpkException($"cannot rename {from} to {to}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }
}
