using System.Runtime.InteropServices;

namespace Kpk.Wedge;

/// <summary>libc's realpath: a path with every symlink resolved, which .NET has no call for.</summary>
internal static partial class NativePath
{
    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr RealPathNative(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr pointer);

    /// <summary>The canonical path, or null when <paramref name="path"/> cannot be resolved (missing, a loop).</summary>
    public static string? RealPath(string path)
    {
        IntPtr result = RealPathNative(path, IntPtr.Zero);
        if (result == IntPtr.Zero) return null;
        try { return Marshal.PtrToStringUTF8(result); }
        finally { Free(result); }
    }
}
