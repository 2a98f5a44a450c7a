using System.Text;

namespace Kpk.Wedge.Deb;

/// <summary>
/// Writes a GNU-format tar archive the way dpkg-deb's tar does (<c>tar --format=gnu
/// --owner=root:0 --group=root:0</c>): 512-byte headers with octal fields, "ustar  " magic,
/// owner root/root, names longer than 100 bytes carried in a preceding <c>././@LongLink</c>
/// entry, and the archive padded to whole 10240-byte records. Every header field is written by
/// this class, so the same calls always give the same bytes.
/// </summary>
/// <remarks>
/// System.Formats.Tar can write GNU entries, but it decides some header fields itself (atime/ctime,
/// device numbers, checksum layout); writing the few fields directly keeps the output identical
/// to what GNU tar writes for the same entries, which the tests check byte for byte.
/// </remarks>
public sealed class TarArchiveWriter
{
    public const int BlockSize = 512;
    public const int RecordSize = 20 * BlockSize;
    /// <summary>11 octal digits: the largest size a plain header can carry.</summary>
    public const long MaxEntrySize = (1L << 33) - 1;

    private const string LongLinkName = "././@LongLink";
    private readonly Stream _output;
    private long _written;
    private bool _finished;

    public TarArchiveWriter(Stream output) => _output = output;

    public void AddDirectory(string name, int mode, long mtime) =>
        WriteEntry(name, mode, mtime, (byte)'5', size: 0, linkTarget: null);

    public void AddSymlink(string name, string target, long mtime) =>
        WriteEntry(name, 0b111_111_111, mtime, (byte)'2', size: 0, linkTarget: target);

    public void AddHardLink(string name, string target, int mode, long mtime) =>
        WriteEntry(name, mode, mtime, (byte)'1', size: 0, linkTarget: target);

    public void AddFile(string name, int mode, long mtime, ReadOnlySpan<byte> content)
    {
        WriteEntry(name, mode, mtime, (byte)'0', content.Length, linkTarget: null);
        Write(content);
        PadToBlock();
    }

    /// <summary>Adds a regular file whose content comes from a stream of known length.</summary>
    public void AddFile(string name, int mode, long mtime, Stream content, long size)
    {
        WriteEntry(name, mode, mtime, (byte)'0', size, linkTarget: null);
        var buffer = new byte[81920];
        long left = size;
        while (left > 0)
        {
            int n = content.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0) throw new IOException($"{name}: file became shorter while it was being archived");
            Write(buffer.AsSpan(0, n));
            left -= n;
        }
        PadToBlock();
    }

    /// <summary>Writes the end-of-archive marker (two zero blocks) and pads to a whole record.</summary>
    public void Finish()
    {
        if (_finished) return;
        _finished = true;
        WriteZeros(2 * BlockSize);
        long rest = _written % RecordSize;
        if (rest != 0) WriteZeros(RecordSize - rest);
    }

    private void WriteEntry(string name, int mode, long mtime, byte type, long size, string? linkTarget)
    {
        if (_finished) throw new InvalidOperationException("the tar archive is already finished");
        if (size < 0 || size > MaxEntrySize) throw new ArgumentOutOfRangeException(nameof(size), $"{name}: {size} bytes do not fit in a tar header");
        if (mtime < 0 || mtime > MaxEntrySize) throw new ArgumentOutOfRangeException(nameof(mtime), $"{name}: time {mtime} does not fit in a tar header");
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        byte[] linkBytes = linkTarget == null ? [] : Encoding.UTF8.GetBytes(linkTarget);
        if (linkBytes.Length > 100) WriteLongLink((byte)'K', linkBytes);
        if (nameBytes.Length > 100) WriteLongLink((byte)'L', nameBytes);
        Write(Header(nameBytes, mode, mtime, type, size, linkBytes));
    }

    /// <summary>GNU's way to carry a long name: a pseudo-entry whose data is the NUL-terminated name.</summary>
    private void WriteLongLink(byte type, byte[] longName)
    {
        Write(Header(Encoding.ASCII.GetBytes(LongLinkName), 0b110_100_100, 0, type, longName.Length + 1, []));
        Write(longName);
        WriteZeros(1);
        PadToBlock();
    }

    private static byte[] Header(byte[] name, int mode, long mtime, byte type, long size, byte[] link)
    {
        var h = new byte[BlockSize];
        name.AsSpan(0, Math.Min(name.Length, 100)).CopyTo(h);
        Octal(h, 100, 8, mode & 0xFFF);
        Octal(h, 108, 8, 0);
        Octal(h, 116, 8, 0);
        Octal(h, 124, 12, size);
        Octal(h, 136, 12, mtime);
        h[156] = type;
        link.AsSpan(0, Math.Min(link.Length, 100)).CopyTo(h.AsSpan(157));
        Encoding.ASCII.GetBytes("ustar  \0").CopyTo(h, 257);
        Encoding.ASCII.GetBytes("root").CopyTo(h, 265);
        Encoding.ASCII.GetBytes("root").CopyTo(h, 297);
        // The checksum is computed with its own field read as eight spaces.
        h.AsSpan(148, 8).Fill((byte)' ');
        int sum = 0;
        foreach (byte b in h) sum += b;
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(h, 148);
        return h;
    }

    /// <summary>A zero-padded octal number filling the field but its last byte, which is NUL.</summary>
    private static void Octal(byte[] h, int offset, int width, long value)
    {
        string digits = Convert.ToString(value, 8).PadLeft(width - 1, '0');
        Encoding.ASCII.GetBytes(digits).CopyTo(h, offset);
        h[offset + width - 1] = 0;
    }

    private void PadToBlock()
    {
        long rest = _written % BlockSize;
        if (rest != 0) WriteZeros(BlockSize - rest);
    }

    private void WriteZeros(long count)
    {
        Span<byte> zeros = stackalloc byte[BlockSize];
        zeros.Clear();
        while (count > 0)
        {
            int n = (int)Math.Min(count, BlockSize);
            Write(zeros[..n]);
            count -= n;
        }
    }

    private void Write(ReadOnlySpan<byte> data)
    {
        _output.Write(data);
        _written += data.Length;
    }
}
