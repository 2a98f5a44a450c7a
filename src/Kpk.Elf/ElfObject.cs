namespace Kpk.Elf;

/// <summary>
/// An editable ELF64 object: header fields, sections, the symbol table and relocations, linked by
/// object references. Read one with <see cref="Read(string)"/>, change it, and write it with
/// <see cref="ElfWriter"/>; indexes, links, sh_info of the symbol table, string tables and offsets
/// are all derived again on write.
/// </summary>
public sealed class ElfObject : IDisposable
{
    private readonly ElfImage? _image;

    public ElfObject(ElfType type = ElfType.Rel, ushort machine = ElfMachine.X86_64)
    {
        Type = type;
        Machine = machine;
    }

    internal ElfObject(ElfImage image)
    {
        _image = image;
        FileName = image.FileName;
        Type = image.Type;
        Machine = image.Machine;
        OsAbi = image.OsAbi;
        AbiVersion = image.AbiVersion;
        Entry = image.Entry;
        Flags = image.Flags;
    }

    /// <summary>The file this object was read from (for messages); null for one built in memory.</summary>
    public string? FileName { get; set; }
    public ElfType Type { get; set; }
    public ushort Machine { get; set; }
    public byte OsAbi { get; set; }
    public byte AbiVersion { get; set; }
    public ulong Entry { get; set; }
    public uint Flags { get; set; }

    /// <summary>All sections but the null section 0, in file order.</summary>
    public List<ElfSection> Sections { get; } = new();

    /// <summary>All symbols but the null symbol 0, in symbol-table order.</summary>
    public List<ElfSymbol> Symbols { get; } = new();

    /// <summary>The symbol table section (SHT_SYMTAB), if the object has one.</summary>
    public ElfSection? SymbolTable { get; set; }

    /// <summary>The section that holds section names (e_shstrndx).</summary>
    public ElfSection? SectionNameTable { get; set; }

    /// <summary>Program headers of an executable, as read (kpk does not write executables).</summary>
    public IReadOnlyList<ProgramHeader> Segments => _image?.Segments ?? [];

    /// <summary>Reads an object file; large files are memory-mapped. Dispose the object when done.</summary>
    public static ElfObject Read(string path) => ElfObjectReader.Read(ElfImage.Open(path));

    /// <summary>Reads an object from bytes already in memory.</summary>
    public static ElfObject Parse(byte[] bytes, string name) => ElfObjectReader.Read(ElfImage.Parse(bytes, name));

    public void Dispose() => _image?.Dispose();

    public ElfSection? FindSection(string name) => Sections.Find(s => s.Name == name);

    public ElfSymbol? FindSymbol(string name) => Symbols.Find(s => s.Name == name);

    /// <summary>The relocation sections whose target is <paramref name="section"/>.</summary>
    public IEnumerable<ElfSection> RelocationSectionsFor(ElfSection section) =>
        Sections.Where(s => s.IsRelocation && s.InfoSection == section);

    /// <summary>
    /// Removes a section and everything that only makes sense with it: relocation sections that
    /// target it, its membership in groups, and (when asked) symbols defined in it. Symbols still
    /// defined in a removed section make <see cref="ElfWriter"/> fail, naming them.
    /// </summary>
    public void RemoveSection(ElfSection section, bool removeSymbols = false)
    {
        Sections.Remove(section);
        foreach (var rela in RelocationSectionsFor(section).ToList()) Sections.Remove(rela);
        foreach (var group in Sections.Where(s => s.GroupMembers != null)) group.GroupMembers!.Remove(section);
        if (removeSymbols) Symbols.RemoveAll(s => s.Section == section);
    }

    /// <summary>Adds a symbol, keeping the invariant that local symbols come before global ones.</summary>
    public ElfSymbol AddSymbol(ElfSymbol symbol)
    {
        if (symbol.Binding == SymbolBinding.Local && Symbols.Count > 0 && Symbols[^1].Binding != SymbolBinding.Local)
        {
            int firstGlobal = Symbols.FindIndex(s => s.Binding != SymbolBinding.Local);
            Symbols.Insert(firstGlobal < 0 ? Symbols.Count : firstGlobal, symbol);
        }
        else
        {
            Symbols.Add(symbol);
        }
        return symbol;
    }
}
