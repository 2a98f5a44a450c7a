namespace Kpk.Elf;

// Numeric values from the System V gABI and the processor psABIs. Named as in <elf.h> so that
// anyone who knows ELF can read the code without a glossary.

public static class ElfClass { public const byte Elf64 = 2; }
public static class ElfData { public const byte Lsb = 1; }

public enum ElfType : ushort { None = 0, Rel = 1, Exec = 2, Dyn = 3, Core = 4 }

public static class ElfMachine
{
    public const ushort Ppc64 = 21;
    public const ushort X86_64 = 62;
    public const ushort Aarch64 = 183;

    /// <summary>The machine as readelf names it, for messages and dumps.</summary>
    public static string Name(ushort machine) => machine switch
    {
        X86_64 => "x86-64",
        Ppc64 => "PowerPC64",
        Aarch64 => "AArch64",
        _ => $"machine {machine}",
    };
}

public enum SectionType : uint
{
    Null = 0, ProgBits = 1, SymTab = 2, StrTab = 3, Rela = 4, Hash = 5, Dynamic = 6, Note = 7,
    NoBits = 8, Rel = 9, ShLib = 10, DynSym = 11, InitArray = 14, FiniArray = 15, PreinitArray = 16,
    Group = 17, SymTabShndx = 18,
    X86_64Unwind = 0x70000001,
    GnuAttributes = 0x6ffffff5, GnuHash = 0x6ffffff6, GnuVerDef = 0x6ffffffd, GnuVerNeed = 0x6ffffffe, GnuVerSym = 0x6fffffff,
}

[Flags]
public enum SectionFlags : ulong
{
    None = 0,
    Write = 0x1,
    Alloc = 0x2,
    ExecInstr = 0x4,
    Merge = 0x10,
    Strings = 0x20,
    InfoLink = 0x40,
    LinkOrder = 0x80,
    OsNonConforming = 0x100,
    Group = 0x200,
    Tls = 0x400,
    Compressed = 0x800,
    /// <summary>Linux livepatch: a RELA section the livepatch core applies, not the module loader.</summary>
    RelaLivepatch = 0x00100000,
    /// <summary>GNU_RETAIN (SHF_GNU_RETAIN): keep the section in --gc-sections.</summary>
    GnuRetain = 0x00200000,
    Exclude = 0x80000000,
}

public enum SymbolBinding : byte { Local = 0, Global = 1, Weak = 2, GnuUnique = 10 }

public enum SymbolType : byte { NoType = 0, Object = 1, Func = 2, Section = 3, File = 4, Common = 5, Tls = 6, GnuIFunc = 10 }

public enum SymbolVisibility : byte { Default = 0, Internal = 1, Hidden = 2, Protected = 3 }

/// <summary>Reserved section indexes (st_shndx, e_shstrndx values that are not real sections).</summary>
public static class SpecialSection
{
    public const ushort Undef = 0;
    public const ushort LoReserve = 0xff00;
    /// <summary>Linux: symbol resolved by the livepatch core (SHN_LIVEPATCH).</summary>
    public const ushort Livepatch = 0xff20;
    public const ushort Abs = 0xfff1;
    public const ushort Common = 0xfff2;
    /// <summary>The real index lives in SHT_SYMTAB_SHNDX (or section 0's header).</summary>
    public const ushort XIndex = 0xffff;
}

public static class GroupFlags { public const uint Comdat = 1; }

public enum SegmentType : uint { Null = 0, Load = 1, Dynamic = 2, Interp = 3, Note = 4, Phdr = 6, Tls = 7 }

internal static class ElfSizes
{
    public const int Header = 64;
    public const int SectionHeader = 64;
    public const int ProgramHeader = 56;
    public const int Symbol = 24;
    public const int Rela = 24;
    public const int Rel = 16;
}
