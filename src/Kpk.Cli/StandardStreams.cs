using System.Runtime.InteropServices;

namespace Kpk.Cli;

/// <summary>
/// Standard output and error as raw byte streams for verbs that write bytes, not text.
/// </summary>
/// <remarks>
/// Both write with write(2) on the inherited descriptor, so every byte moves the offset the
/// descriptor shares with the shell and the other commands writing to it:
/// <c>{ echo A; kpk guards x &lt; series.conf; echo B; } &gt; f</c> keeps all three. A
/// <see cref="FileStream"/> over fd 1 would not: for a regular file it keeps a position of its
/// own and writes with pwrite(2), so the next writer overwrites kpk's output. Console's own
/// stream writes with write(2) too but swallows EPIPE, which guards must see to end as guards
/// does when its reader goes away.
/// </remarks>
public static partial class StandardStreams
{
    public static Stream Output() => new DescriptorStream(1);
    public static Stream Error() => new DescriptorStream(2);

    /// <summary>An unbuffered, write-only stream over a descriptor it does not own.</summary>
    private sealed partial class DescriptorStream(int fd) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override unsafe void Write(ReadOnlySpan<byte> buffer)
        {
            fixed (byte* start = buffer)
            {
                int done = 0;
                while (done < buffer.Length)
                {
                    nint n = write(fd, start + done, (nuint)(buffer.Length - done));
                    if (n >= 0)
                    {
                        done += (int)n;
                        continue;
                    }
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Eintr) continue;
                    // HResult carries the errno, as .NET's own IOExceptions on Unix do (EPIPE = 32).
                    throw new IOException(Marshal.GetPInvokeErrorMessage(errno), errno);
                }
            }
        }

        private const int Eintr = 4;

        [LibraryImport("libc", SetLastError = true)]
        private static unsafe partial nint write(int fd, byte* buffer, nuint count);
    }
}
