using System.Buffers;
using System.IO.MemoryMappedFiles;

namespace Kpk.Elf;

/// <summary>
/// The bytes of an ELF file. Small files may be read into an array; large ones (a vmlinux of
/// hundreds of megabytes) are memory-mapped so that only the pages actually touched are read,
/// and nothing is copied into the managed heap.
/// </summary>
public abstract class ElfSource : IDisposable
{
    public abstract string Name { get; }
    public abstract ReadOnlyMemory<byte> Memory { get; }
    public virtual void Dispose() { }

    public static ElfSource FromBytes(byte[] bytes, string name) => new ArraySource(bytes, name);

    /// <summary>Maps the file read-only. Empty files cannot be mapped, so they are read as an empty array.</summary>
    public static ElfSource Map(string path)
    {
        FileInfo info;
        try
        {
            info = new FileInfo(path);
            if (!info.Exists) throw new ElfFormatException(path, "no such file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new ElfFormatException(path, e.Message);
        }
        if (info.Length < 64 * 1024)
        {
            try { return new ArraySource(File.ReadAllBytes(path), path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ElfFormatException(path, e.Message);
            }
        }
        if (info.Length > int.MaxValue)
            throw new ElfFormatException(path, $"file of {info.Length} bytes is larger than kpk can map (2 GiB)");
        try { return new MappedSource(path, info.Length); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ElfFormatException(path, e.Message);
        }
    }

    private sealed class ArraySource(byte[] bytes, string name) : ElfSource
    {
        public override string Name => name;
        public override ReadOnlyMemory<byte> Memory => bytes;
    }

    private sealed unsafe class MappedSource : ElfSource
    {
        private readonly MemoryMappedFile _file;
        private readonly MemoryMappedViewAccessor _view;
        private readonly PointerMemoryManager _memory;
        private byte* _pointer;

        public MappedSource(string path, long length)
        {
            Name = path;
            _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            _view = _file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _pointer);
            _memory = new PointerMemoryManager(_pointer + _view.PointerOffset, (int)length);
        }

        public override string Name { get; }
        public override ReadOnlyMemory<byte> Memory => _memory.Memory;

        public override void Dispose()
        {
            if (_pointer != null)
            {
                _view.SafeMemoryMappedViewHandle.ReleasePointer();
                _pointer = null;
            }
            _view.Dispose();
            _file.Dispose();
        }
    }

    private sealed unsafe class PointerMemoryManager(byte* pointer, int length) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => new(pointer, length);
        public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
    }
}
