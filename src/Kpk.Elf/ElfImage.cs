using System.Buffers.Binary;
using System.Text;

namespace Kpk.Elf;

/// <summary>One section header as stored in the file (Elf64_Shdr).</summary>
public readonly record struct SectionHeader(
    uint NameOffset, SectionType Type, SectionFlags Flags, ulong Address, ulong Offset, ulong Size,
    uint Link, uint Info, ulong Alignment, ulong EntrySize);

/// <summary>One program header (Elf64_Phdr); only read, for executables.</summary>
public readonly record struct ProgramHeader(
    SegmentType Type, uint Flags, ulong Offset, ulong VirtualAddress, ulong PhysicalAddress,
    ulong FileSize, ulong MemorySize, ulong Alignment);

/// <summary>One symbol as stored (Elf64_Sym), with its section index already resolved through SHT_SYMTAB_SHNDX.</summary>
public readonly record struct RawSymbol(
    uint NameOffset, byte Info, byte Other, ushort Shndx, uint SectionIndex, ulong Value, ulong Size)
{
    /// <summary>True when st_shndx is a reserved value (SHN_UNDEF, SHN_ABS, SHN_COMMON, SHN_LIVEPATCH, ...), not a section.</summary>
    public bool IsSpecial => Shndx != SpecialSection.XIndex && (Shndx == SpecialSection.Undef || Shndx >= SpecialSection.LoReserve);

    public SymbolBinding Binding => (SymbolBinding)(Info >> 4);
    public SymbolType Type => (SymbolType)(Info & 0xf);
    public SymbolVisibility Visibility => (SymbolVisibility)(Other & 0x3);
}

/// <summary>
/// A validated, read-only view of an ELF64 little-endian file: header, section headers, program
/// headers, and accessors for section data, strings and symbols that read straight from the
/// underlying bytes (which may be a memory-mapped file). Every offset and index is checked on
/// access, so a malformed file yields an <see cref="ElfFormatException"/> naming the defect.
/// </summary>
public sealed class ElfImage : IDisposable
{
    private readonly ElfSource _source;
    private readonly SectionHeader[] _sections;
    private readonly ProgramHeader[] _segments;

    public string FileName => _source.Name;
    public ReadOnlyMemory<byte> Bytes => _source.Memory;
    public ElfType Type { get; }
    public ushort Machine { get; }
    public byte OsAbi { get; }
    public byte AbiVersion { get; }
    public ulong Entry { get; }
    public uint Flags { get; }
    public int SectionNameTableIndex { get; }
    public IReadOnlyList<SectionHeader> Sections => _sections;
    public IReadOnlyList<ProgramHeader> Segments => _segments;

    public static ElfImage Open(string path) => new(ElfSource.Map(path));
    public static ElfImage Parse(byte[] bytes, string name) => new(ElfSource.FromBytes(bytes, name));

    public ElfImage(ElfSource source)
    {
        _source = source;
        try
        {
            var b = source.Memory.Span;
            if (b.Length < 4 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
                throw Bad("not an ELF file (bad magic)");
            if (b.Length < ElfSizes.Header) throw Bad($"truncated: {b.Length} bytes, shorter than the 64-byte ELF header");
            if (b[4] != ElfClass.Elf64) throw Bad($"wrong class {b[4]}: only ELF64 is supported");
            if (b[5] != ElfData.Lsb) throw Bad($"wrong data encoding {b[5]}: only little-endian is supported");
            if (b[6] != 1) throw Bad($"unknown ELF version {b[6]}");
            OsAbi = b[7];
            AbiVersion = b[8];
            Type = (ElfType)U16(b, 16);
            Machine = U16(b, 18);
            Entry = U64(b, 24);
            ulong phoff = U64(b, 32), shoff = U64(b, 40);
            Flags = U32(b, 48);
            ushort phentsize = U16(b, 54), phnum = U16(b, 56), shentsize = U16(b, 58), shnum = U16(b, 60), shstrndx = U16(b, 62);

            _segments = ReadProgramHeaders(b, phoff, phentsize, phnum);
            _sections = ReadSectionHeaders(b, shoff, shentsize, shnum);
            SectionNameTableIndex = shstrndx == SpecialSection.XIndex && _sections.Length > 0 ? (int)_sections[0].Link : shstrndx;
            if (_sections.Length > 0 && (SectionNameTableIndex <= 0 || SectionNameTableIndex >= _sections.Length))
                throw Bad($"section name table index {SectionNameTableIndex} out of range (0..{_sections.Length - 1})");
            if (_sections.Length > 0 && _sections[SectionNameTableIndex].Type != SectionType.StrTab)
                throw Bad($"section name table (section {SectionNameTableIndex}) is not a string table");
            ValidateSections(b.Length);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    public void Dispose() => _source.Dispose();

    private ElfFormatException Bad(string problem) => new(_source.Name, problem);

    private ProgramHeader[] ReadProgramHeaders(ReadOnlySpan<byte> b, ulong phoff, ushort entsize, ushort count)
    {
        if (count == 0) return [];
        if (entsize != ElfSizes.ProgramHeader) throw Bad($"program header entry size {entsize}, expected {ElfSizes.ProgramHeader}");
        CheckRange(b.Length, phoff, (ulong)count * entsize, "program header table");
        var result = new ProgramHeader[count];
        for (int i = 0; i < count; i++)
        {
            var p = b.Slice((int)phoff + i * entsize);
            result[i] = new ProgramHeader((SegmentType)U32(p, 0), U32(p, 4), U64(p, 8), U64(p, 16), U64(p, 24), U64(p, 32), U64(p, 40), U64(p, 48));
        }
        return result;
    }

    private SectionHeader[] ReadSectionHeaders(ReadOnlySpan<byte> b, ulong shoff, ushort entsize, ushort count)
    {
        if (shoff == 0) return [];
        if (entsize != ElfSizes.SectionHeader) throw Bad($"section header entry size {entsize}, expected {ElfSizes.SectionHeader}");
        CheckRange(b.Length, shoff, ElfSizes.SectionHeader, "section header 0");
        ulong n = count;
        if (n == 0)
        {
            // Extended numbering: more than 0xff00 sections, the real count is in section 0's sh_size.
            n = U64(b, (int)shoff + 32);
            if (n == 0) return [];
        }
        CheckRange(b.Length, shoff, n * ElfSizes.SectionHeader, $"section header table ({n} entries)");
        var result = new SectionHeader[n];
        for (int i = 0; i < (int)n; i++)
        {
            var s = b.Slice((int)shoff + i * ElfSizes.SectionHeader);
            result[i] = new SectionHeader(U32(s, 0), (SectionType)U32(s, 4), (SectionFlags)U64(s, 8), U64(s, 16),
                U64(s, 24), U64(s, 32), U32(s, 40), U32(s, 44), U64(s, 48), U64(s, 56));
        }
        return result;
    }

    private void ValidateSections(int fileLength)
    {
        for (int i = 1; i < _sections.Length; i++)
        {
            var s = _sections[i];
            string what = $"section {i}";
            if (s.Type != SectionType.NoBits && s.Type != SectionType.Null)
                CheckRange(fileLength, s.Offset, s.Size, what);
            if (s.Alignment > 1 && (s.Alignment & (s.Alignment - 1)) != 0)
                throw Bad($"{what}: alignment {s.Alignment} is not a power of two");
            switch (s.Type)
            {
                case SectionType.SymTab or SectionType.DynSym:
                    if (s.EntrySize != ElfSizes.Symbol) throw Bad($"{what}: symbol table entry size {s.EntrySize}, expected 24");
                    if (s.Size % ElfSizes.Symbol != 0) throw Bad($"{what}: symbol table size {s.Size} is not a multiple of 24");
                    CheckLink(i, s, SectionType.StrTab);
                    break;
                case SectionType.Rela:
                    if (s.EntrySize != ElfSizes.Rela) throw Bad($"{what}: RELA entry size {s.EntrySize}, expected 24");
                    if (s.Size % ElfSizes.Rela != 0) throw Bad($"{what}: RELA size {s.Size} is not a multiple of 24");
                    break;
                case SectionType.Rel:
                    if (s.EntrySize != ElfSizes.Rel) throw Bad($"{what}: REL entry size {s.EntrySize}, expected 16");
                    if (s.Size % ElfSizes.Rel != 0) throw Bad($"{what}: REL size {s.Size} is not a multiple of 16");
                    break;
                case SectionType.Group:
                    if (s.Size % 4 != 0 || s.Size < 4) throw Bad($"{what}: group size {s.Size} is not a positive multiple of 4");
                    CheckLink(i, s, SectionType.SymTab);
                    break;
                case SectionType.SymTabShndx:
                    CheckLink(i, s, SectionType.SymTab);
                    break;
            }
        }
    }

    private void CheckLink(int index, SectionHeader s, SectionType expected)
    {
        if (s.Link == 0 || s.Link >= _sections.Length)
            throw Bad($"section {index}: sh_link {s.Link} out of range (1..{_sections.Length - 1})");
        if (_sections[s.Link].Type != expected && !(expected == SectionType.SymTab && _sections[s.Link].Type == SectionType.DynSym))
            throw Bad($"section {index}: sh_link {s.Link} is a {_sections[s.Link].Type} section, expected {expected}");
    }

    private void CheckRange(long fileLength, ulong offset, ulong size, string what)
    {
        if (offset > (ulong)fileLength || size > (ulong)fileLength - offset)
            throw Bad($"{what}: bytes {offset}..{offset + size} lie outside the file ({fileLength} bytes); truncated?");
    }

    /// <summary>The name of section <paramref name="index"/>, from the section name table.</summary>
    public string SectionName(int index) => ReadString(SectionNameTableIndex, _sections[CheckSectionIndex(index)].NameOffset);

    public int CheckSectionIndex(int index)
    {
        if (index < 0 || index >= _sections.Length) throw Bad($"section index {index} out of range (0..{_sections.Length - 1})");
        return index;
    }

    /// <summary>The bytes of a section; empty for SHT_NOBITS.</summary>
    public ReadOnlyMemory<byte> SectionData(int index)
    {
        var s = _sections[CheckSectionIndex(index)];
        if (s.Type is SectionType.NoBits or SectionType.Null) return ReadOnlyMemory<byte>.Empty;
        return _source.Memory.Slice((int)s.Offset, (int)s.Size);
    }

    /// <summary>A NUL-terminated string at <paramref name="offset"/> of string table <paramref name="table"/>.</summary>
    public string ReadString(int table, uint offset)
    {
        var s = _sections[CheckSectionIndex(table)];
        if (s.Type != SectionType.StrTab) throw Bad($"section {table} is used as a string table but has type {s.Type}");
        var data = SectionData(table).Span;
        if (offset >= data.Length)
        {
            if (offset == 0 && data.Length == 0) return "";
            throw Bad($"string offset {offset} out of range of string table {table} ({data.Length} bytes)");
        }
        var rest = data[(int)offset..];
        int end = rest.IndexOf((byte)0);
        if (end < 0) throw Bad($"string at offset {offset} of string table {table} is not NUL-terminated");
        return Encoding.UTF8.GetString(rest[..end]);
    }

    /// <summary>The first section of the given type, or -1.</summary>
    public int FindSection(SectionType type)
    {
        for (int i = 1; i < _sections.Length; i++)
            if (_sections[i].Type == type) return i;
        return -1;
    }

    public int FindSection(string name)
    {
        for (int i = 1; i < _sections.Length; i++)
            if (SectionName(i) == name) return i;
        return -1;
    }

    public int SymbolCount(int symtab) => (int)(_sections[CheckSectionIndex(symtab)].Size / ElfSizes.Symbol);

    /// <summary>
    /// Reads every symbol of a symbol table in one pass over its bytes, resolving SHN_XINDEX
    /// through the table's SHT_SYMTAB_SHNDX section when it has one.
    /// </summary>
    public RawSymbol[] ReadSymbols(int symtab)
    {
        var header = _sections[CheckSectionIndex(symtab)];
        if (header.Type is not (SectionType.SymTab or SectionType.DynSym))
            throw Bad($"section {symtab} is not a symbol table");
        var data = SectionData(symtab).Span;
        int count = data.Length / ElfSizes.Symbol;
        ReadOnlySpan<byte> xindex = default;
        for (int i = 1; i < _sections.Length; i++)
            if (_sections[i].Type == SectionType.SymTabShndx && _sections[i].Link == symtab)
                xindex = SectionData(i).Span;
        var result = new RawSymbol[count];
        for (int i = 0; i < count; i++)
        {
            var e = data.Slice(i * ElfSizes.Symbol, ElfSizes.Symbol);
            ushort raw = U16(e, 6);
            uint shndx = raw;
            if (raw == SpecialSection.XIndex)
            {
                if ((i + 1) * 4 > xindex.Length)
                    throw Bad($"symbol {i} has SHN_XINDEX but there is no extended index for it");
                shndx = U32(xindex, i * 4);
            }
            result[i] = new RawSymbol(U32(e, 0), e[4], e[5], raw, shndx, U64(e, 8), U64(e, 16));
        }
        return result;
    }

    /// <summary>
    /// The GNU build id from a .note.gnu.build-id section or PT_NOTE segment, as lowercase hex;
    /// null when there is none.
    /// </summary>
    public string? BuildId()
    {
        for (int i = 1; i < _sections.Length; i++)
        {
            if (_sections[i].Type != SectionType.Note) continue;
            var id = FindGnuBuildId(SectionData(i).Span);
            if (id != null) return id;
        }
        return null;
    }

    private static string? FindGnuBuildId(ReadOnlySpan<byte> notes)
    {
        int pos = 0;
        while (pos + 12 <= notes.Length)
        {
            uint namesz = U32(notes, pos), descsz = U32(notes, pos + 4), type = U32(notes, pos + 8);
            long nameEnd = pos + 12L + ((namesz + 3) & ~3u);
            long descEnd = nameEnd + ((descsz + 3) & ~3u);
            if (descEnd > notes.Length || nameEnd + descsz > notes.Length) return null;
            if (type == 3 && namesz == 4 && notes.Slice(pos + 12, 3).SequenceEqual("GNU"u8))
                return Convert.ToHexStringLower(notes.Slice((int)nameEnd, (int)descsz));
            pos = (int)descEnd;
        }
        return null;
    }

    internal static ushort U16(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b[at..]);
    internal static uint U32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b[at..]);
    internal static ulong U64(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b[at..]);
}
