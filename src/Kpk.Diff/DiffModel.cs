using Kpk.Core;
using Kpk.Elf;

namespace Kpk.Diff;

internal enum Status { New, Changed, Same }

/// <summary>A section of one of the two objects, with what the differ learns about it.</summary>
internal sealed class Sec(ElfSection elf)
{
    public ElfSection Elf { get; } = elf;
    public string Name => Elf.Name;
    public Sec? Twin;
    public Status Status = Status.New;
    public bool Include;
    /// <summary>Changes here are not patched (.discard*): treated as unchanged, never included.</summary>
    public bool Ignore;
    /// <summary>Member of a section group (COMDAT): changes there cannot be patched.</summary>
    public bool Grouped;
    /// <summary>For a relocation section: the section it relocates.</summary>
    public Sec? Base;
    /// <summary>For other sections: the relocation section that applies to it.</summary>
    public Sec? Rela;
    /// <summary>The STT_SECTION symbol of this section.</summary>
    public Sym? SecSym;
    /// <summary>The function or object this section was made for by -ffunction/-fdata-sections.</summary>
    public Sym? Sym;
    /// <summary>Relocations, for relocation sections.</summary>
    public List<Rela> Relas = new();
    /// <summary>New contents, for special sections rebuilt to keep only some entries.</summary>
    public byte[]? NewData;

    public bool IsRela => Elf.Type == SectionType.Rela;
    public bool IsText => Elf.Type == SectionType.ProgBits && Elf.IsExecutable;
    public bool IsDebug
    {
        get
        {
            string n = IsRela && Base != null ? Base.Name : Name;
            return n.StartsWith(".debug_", StringComparison.Ordinal) || n.StartsWith(".eh_frame", StringComparison.Ordinal);
        }
    }
    /// <summary>DWARF (.debug_*, or its relocations); unlike .eh_frame, worth carrying into a patch.</summary>
    public bool IsDwarf => (IsRela && Base != null ? Base.Name : Name).StartsWith(".debug_", StringComparison.Ordinal);
    public ReadOnlySpan<byte> Data => NewData ?? Elf.Data.Span;
    public ulong Size => NewData != null ? (ulong)NewData.Length : Elf.Size;
    public override string ToString() => Name;
}

/// <summary>A symbol of one of the two objects.</summary>
internal sealed class Sym(ElfSymbol elf, string name)
{
    public ElfSymbol Elf { get; } = elf;
    /// <summary>The symbol's name; a correlated patched symbol takes its original twin's name.</summary>
    public string Name = name;
    public Sym? Twin;
    public Status Status = Status.New;
    public bool Include;
    public Sec? Sec;
    /// <summary>For .cold and .part. functions: the function they were split from.</summary>
    public Sym? Parent;
    public readonly List<Sym> Children = new();
    /// <summary>Starts with an ftrace call (__fentry__), so the livepatch core can redirect it.</summary>
    public bool HasFentry;
    /// <summary>
    /// For a local: the STT_FILE symbol of the file block it sits in (an object made by ld -r has
    /// one block per compilation unit). Null for globals and in objects without file symbols.
    /// </summary>
    public Sym? File;
    /// <summary>Offset of the ftrace site from the function's symbol, when known (before it on aarch64).</summary>
    public long FentryOffset;

    public SymbolType Type => Elf.Type;
    public SymbolBinding Binding => Elf.Binding;
    public ulong Value => Elf.Value;
    public ulong Size => Elf.Size;
    public bool IsFunc => Type == SymbolType.Func;
    public bool IsLocal => Binding == SymbolBinding.Local;
    public override string ToString() => Name;
}

/// <summary>One relocation, with its symbol resolved to the differ's view.</summary>
internal sealed class Rela(ulong offset, uint type, Sym? sym, long addend)
{
    public ulong Offset = offset;
    public uint Type = type;
    public Sym? Sym = sym;
    public long Addend = addend;
    /// <summary>When the target is a string-literal section: the string referred to.</summary>
    public string? String;
    /// <summary>
    /// When the reference goes through a table of addresses (ppc64le's .toc): the table entry's
    /// own relocation, which says what is meant; null when the entry is a constant (see <see cref="ViaConstant"/>).
    /// </summary>
    public Rela? Via;
    /// <summary>When the reference goes through such a table to an entry without a relocation: the entry's value.</summary>
    public ulong? ViaConstant;
    public override string ToString() => $"{Offset:x} type {Type} {Sym?.Name}{Addend:+0;-0}";
}

/// <summary>One of the two objects being compared, indexed for the differ.</summary>
internal sealed class Obj
{
    public ElfObject Elf { get; }
    public string File => Elf.FileName ?? "<object>";
    public List<Sec> Sections { get; } = new();
    public List<Sym> Symbols { get; } = new();
    public Dictionary<ElfSection, Sec> SecOf { get; } = new();
    public Dictionary<ElfSymbol, Sym> SymOf { get; } = new();
    private readonly Dictionary<string, Sec> _byName = new(StringComparer.Ordinal);
    private Dictionary<string, List<Sym>>? _symByName;
    private InstructionMaps? _instructions;

    public Architecture Arch { get; }

    public Obj(ElfObject elf, Architecture arch)
    {
        Elf = elf;
        Arch = arch;
        foreach (var s in elf.Sections)
        {
            var sec = new Sec(s);
            Sections.Add(sec);
            SecOf[s] = sec;
            _byName.TryAdd(s.Name, sec);
        }
        Sym? file = null;
        foreach (var y in elf.Symbols)
        {
            var sym = new Sym(y, y.Name);
            if (y.Type == SymbolType.File) file = sym;
            else if (y.Binding == SymbolBinding.Local) sym.File = file;
            if (y.Section != null) sym.Sec = SecOf[y.Section];
            if (y.Type == SymbolType.Section && sym.Sec != null)
            {
                sym.Name = sym.Sec.Name;
                sym.Sec.SecSym ??= sym;
            }
            Symbols.Add(sym);
            SymOf[y] = sym;
        }
        foreach (var sec in Sections)
        {
            if (!sec.IsRela) continue;
            if (sec.Elf.InfoSection == null || sec.Elf.Relocations == null)
                throw new KpkException($"{File}: relocation section {sec.Name} has no target section");
            sec.Base = SecOf[sec.Elf.InfoSection];
            sec.Base.Rela = sec;
            foreach (var r in sec.Elf.Relocations)
                sec.Relas.Add(new Rela(r.Offset, r.Type, r.Symbol == null ? null : SymOf[r.Symbol], r.Addend));
        }
    }

    /// <summary>How many STT_FILE blocks the object has: more than one for an object made by ld -r.</summary>
    public int CompilationUnits => _units ??= Symbols.Count(s => s.Type == SymbolType.File);
    private int? _units;

        public Sec? FindSection(string name) => _byName.GetValueOrDefault(name);

    public Sym? FindSymbol(string name) => SymbolsNamed(name)?[0];

    /// <summary>
    /// The symbol of that name that belongs with <paramref name="near"/>: in its file block when
    /// several compilation units define the name (ld -r), else the first.
    /// </summary>
    public Sym? FindSymbol(string name, Sym near)
    {
        var all = SymbolsNamed(name);
        if (all == null) return null;
        return all.Count == 1 || near.File == null ? all[0] : all.Find(s => s.File == near.File) ?? all.Find(s => !s.IsLocal) ?? all[0];
    }

    private List<Sym>? SymbolsNamed(string name)
    {
        if (_symByName == null)
        {
            _symByName = new Dictionary<string, List<Sym>>(StringComparer.Ordinal);
            foreach (var s in Symbols)
            {
                if (!_symByName.TryGetValue(s.Name, out var list)) _symByName[s.Name] = list = new List<Sym>(1);
                list.Add(s);
            }
        }
        return _symByName.GetValueOrDefault(name);
    }

    public InstructionMaps Instructions => _instructions ??= new InstructionMaps(Arch, File);

    /// <summary>Where a relocation really points within its symbol (see <see cref="Architecture.TargetOffset"/>).</summary>
    public long TargetOffset(Sec relaSec, Rela rela) => Arch.TargetOffset(this, relaSec, rela);
}
