using System.Runtime.InteropServices;

namespace Kpk.Wedge.Deb;

public enum FileKind { Regular, Directory, Symlink, Fifo, Socket, CharacterDevice, BlockDevice }

/// <summary>
/// What lstat tells about a path: its type, permission bits, size, link count and identity
/// (device and inode, to find hard links). .NET does not expose the file type beyond
/// directory-or-not, nor inode numbers, so this asks the kernel through glibc's statx(2), whose
/// structure has the same layout on every Linux architecture.
/// </summary>
public readonly record struct FileStatus(FileKind Kind, int Mode, long Size, uint LinkCount, ulong Device, ulong Inode)
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7FF;

    [DllImport("libc", SetLastError = true, EntryPoint = "statx")]
    private static extern unsafe int StatX(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte* buffer);

    /// <summary>The status of <paramref name="path"/> itself (a symlink is not followed).</summary>
    public static FileStatus Of(string path)
    {
        Span<byte> buffer = stackalloc byte[256];
        int rc;
        unsafe
        {
            fixed (byte* p = buffer) rc = StatX(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, p);
        }
        if (rc != 0) throw new IOException(Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
        // struct statx, native byte order: stx_nlink at 16, stx_mode at 28, stx_ino at 32,
        // stx_size at 40, stx_dev_major and stx_dev_minor at 136 and 140.
        uint nlink = MemoryMarshal.Read<uint>(buffer[16..]);
        ushort mode = MemoryMarshal.Read<ushort>(buffer[28..]);
        ulong inode = MemoryMarshal.Read<ulong>(buffer[32..]);
        long size = MemoryMarshal.Read<long>(buffer[40..]);
        ulong device = ((ulong)MemoryMarshal.Read<uint>(buffer[136..]) << 32) | MemoryMarshal.Read<uint>(buffer[140..]);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.Symlink,
            0x1000 => FileKind.Fifo,
            0xC000 => FileKind.Socket,
            0x2000 => FileKind.CharacterDevice,
            _ => FileKind.BlockDevice,
        };
        return new FileStatus(kind, mode & 0xFFF, size, nlink, device, inode);
    }

    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Fifo => "a named pipe",
        FileKind.Socket => "a socket",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Directory => "a directory",
        FileKind.Symlink => "a symbolic link",
        _ => "a regular file",
    };
}
