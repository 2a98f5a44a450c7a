namespace Kpk.Elf;

/// <summary>
/// One section of an <see cref="ElfObject"/>. References to other sections and symbols are
/// object references, not indexes: indexes are assigned when the object is written, so sections
/// and symbols can be added and removed freely.
/// </summary>
public sealed class ElfSection
{
    private ReadOnlyMemory<byte> _data;
    private ulong _noBitsSize;

    public ElfSection(string name, SectionType type, SectionFlags flags = SectionFlags.None)
    {
        Name = name;
        Type = type;
        Flags = flags;
        if (type is SectionType.Rela or SectionType.Rel) Relocations = new List<ElfRelocation>();
        if (type == SectionType.Group) GroupMembers = new List<ElfSection>();
    }

    public string Name { get; set; }
    public SectionType Type { get; set; }
    public SectionFlags Flags { get; set; }
    public ulong Address { get; set; }
    public ulong Alignment { get; set; } = 1;
    public ulong EntrySize { get; set; }

    /// <summary>The section named by sh_link (string table of a symbol table, symbol table of a relocation section, ...).</summary>
    public ElfSection? Link { get; set; }

    /// <summary>
    /// For relocation sections and SHF_INFO_LINK sections, the section sh_info names. (For symbol
    /// tables sh_info is derived on write; for groups it is <see cref="GroupSignature"/>.)
    /// </summary>
    public ElfSection? InfoSection { get; set; }

    /// <summary>sh_info when it is not a section or symbol reference.</summary>
    public uint InfoValue { get; set; }

    /// <summary>For SHT_RELA/SHT_REL: the relocations, in file order. Null for other types.</summary>
    public List<ElfRelocation>? Relocations { get; set; }

    /// <summary>For SHT_GROUP: the group flag word (GRP_COMDAT).</summary>
    public uint GroupFlags { get; set; }
    /// <summary>For SHT_GROUP: the member sections. Null for other types.</summary>
    public List<ElfSection>? GroupMembers { get; set; }
    /// <summary>For SHT_GROUP: the symbol whose name is the group's signature.</summary>
    public ElfSymbol? GroupSignature { get; set; }

    /// <summary>Index in the file this section was read from, or was last written to.</summary>
    public int Index { get; internal set; }

    /// <summary>sh_name as read; lets the writer keep string tables unchanged when names are unchanged.</summary>
    internal uint OriginalNameOffset { get; set; } = uint.MaxValue;

    /// <summary>The bytes of the section. Empty for SHT_NOBITS (see <see cref="Size"/>).</summary>
    public ReadOnlyMemory<byte> Data
    {
        get => _data;
        set => _data = value;
    }

    /// <summary>Size in bytes: the data length, or for SHT_NOBITS the size it occupies in memory.</summary>
    public ulong Size
    {
        get => Type == SectionType.NoBits ? _noBitsSize : (ulong)_data.Length;
        set
        {
            if (Type != SectionType.NoBits)
                throw new InvalidOperationException($"section {Name}: set Data, not Size, for a section with contents");
            _noBitsSize = value;
        }
    }

    public bool IsRelocation => Type is SectionType.Rela or SectionType.Rel;
    public bool IsAlloc => (Flags & SectionFlags.Alloc) != 0;
    public bool IsExecutable => (Flags & SectionFlags.ExecInstr) != 0;

    public override string ToString() => $"[{Index}] {Name}";
}
