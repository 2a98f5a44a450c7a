namespace Kpk.Elf;

public sealed record SectionView(int Index, string Name, string Type, string Flags, ulong Size, string? Link, string? Info, ulong Alignment, ulong EntrySize);
public sealed record SymbolView(int Index, string Name, string Type, string Binding, string Section, ulong Value, ulong Size);
public sealed record RelocationView(ulong Offset, string Type, string Symbol, long Addend);
public sealed record RelocationSectionView(string Name, string Target, IReadOnlyList<RelocationView> Relocations);
public sealed record ElfView(string File, string Type, string Machine, IReadOnlyList<SectionView> Sections,
    IReadOnlyList<SymbolView> Symbols, IReadOnlyList<RelocationSectionView>? Relocations);

/// <summary>A compact, readable description of an object: what <c>kpk elf dump</c> shows.</summary>
public static class ElfDump
{
    public static ElfView Describe(ElfObject obj, bool withRelocations = true)
    {
        var sections = obj.Sections.Select(s => new SectionView(s.Index, s.Name, TypeName(s.Type), FlagLetters(s.Flags), s.Size,
            s.Link?.Name, s.InfoSection?.Name ?? (s.InfoValue != 0 ? s.InfoValue.ToString() : null), s.Alignment, s.EntrySize)).ToList();
        var symbols = obj.Symbols.Select(y => new SymbolView(y.Index, SymbolName(y), y.Type.ToString().ToUpperInvariant(),
            y.Binding.ToString().ToUpperInvariant(), SectionOf(y), y.Value, y.Size)).ToList();
        List<RelocationSectionView>? relocations = null;
        if (withRelocations)
        {
            relocations = obj.Sections.Where(s => s.Relocations != null && s.Relocations.Count > 0)
                .Select(s => new RelocationSectionView(s.Name, s.InfoSection?.Name ?? "-",
                    s.Relocations!.Select(r => new RelocationView(r.Offset, RelocationTypes.Name(obj.Machine, r.Type),
                        r.Symbol == null ? "*ABS*" : SymbolName(r.Symbol), r.Addend)).ToList()))
                .ToList();
        }
        return new ElfView(obj.FileName ?? "-", obj.Type.ToString().ToUpperInvariant(),
            ElfMachine.Name(obj.Machine), sections, symbols, relocations);
    }

    public static void WriteText(ElfView view, TextWriter w)
    {
        w.WriteLine($"{view.File}: ELF64 {view.Type} {view.Machine}, {view.Sections.Count} sections, {view.Symbols.Count} symbols");
        w.WriteLine();
        w.WriteLine("Sections:");
        w.WriteLine("  [Nr] Name                           Type       Flags      Size Align  Link / Info");
        foreach (var s in view.Sections)
        {
            string links = string.Join(" / ", new[] { s.Link, s.Info }.Where(x => x != null));
            w.WriteLine($"  [{s.Index,2}] {Trim(s.Name, 30),-30} {s.Type,-10} {s.Flags,-5} {s.Size,9} {s.Alignment,5}  {links}");
        }
        w.WriteLine();
        w.WriteLine("Symbols:");
        w.WriteLine("   Num Type    Bind   Section                      Value     Size Name");
        foreach (var y in view.Symbols)
            w.WriteLine($"  {y.Index,4} {y.Type,-7} {y.Binding,-6} {Trim(y.Section, 24),-24} {y.Value,9:x} {y.Size,8} {y.Name}");
        if (view.Relocations == null) return;
        foreach (var r in view.Relocations)
        {
            w.WriteLine();
            w.WriteLine($"Relocations in {r.Name} (for {r.Target}), {r.Relocations.Count} entries:");
            foreach (var e in r.Relocations)
                w.WriteLine($"  {e.Offset,8:x}  {e.Type,-22} {e.Symbol}{(e.Addend == 0 ? "" : e.Addend.ToString("+0;-0"))}");
        }
    }

    /// <summary>Section symbols have no name of their own; like readelf, show the section's.</summary>
    public static string SymbolName(ElfSymbol y) =>
        y.Type == SymbolType.Section && y.Name.Length == 0 && y.Section != null ? y.Section.Name : y.Name;

    private static string SectionOf(ElfSymbol y) => y.Section?.Name ?? y.SpecialIndex switch
    {
        SpecialSection.Undef => "UND",
        SpecialSection.Abs => "ABS",
        SpecialSection.Common => "COM",
        SpecialSection.Livepatch => "LIVEPATCH",
        _ => $"0x{y.SpecialIndex:x}",
    };

    private static string Trim(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    public static string TypeName(SectionType t) => t switch
    {
        SectionType.ProgBits => "PROGBITS", SectionType.SymTab => "SYMTAB", SectionType.StrTab => "STRTAB",
        SectionType.Rela => "RELA", SectionType.Rel => "REL", SectionType.NoBits => "NOBITS", SectionType.Note => "NOTE",
        SectionType.Group => "GROUP", SectionType.SymTabShndx => "SYMTAB_SHNDX", SectionType.InitArray => "INIT_ARRAY",
        SectionType.FiniArray => "FINI_ARRAY", SectionType.X86_64Unwind => "X86_64_UNWIND", SectionType.Null => "NULL",
        _ => $"0x{(uint)t:x}",
    };

    public static string FlagLetters(SectionFlags f)
    {
        var sb = new System.Text.StringBuilder();
        if ((f & SectionFlags.Write) != 0) sb.Append('W');
        if ((f & SectionFlags.Alloc) != 0) sb.Append('A');
        if ((f & SectionFlags.ExecInstr) != 0) sb.Append('X');
        if ((f & SectionFlags.Merge) != 0) sb.Append('M');
        if ((f & SectionFlags.Strings) != 0) sb.Append('S');
        if ((f & SectionFlags.InfoLink) != 0) sb.Append('I');
        if ((f & SectionFlags.LinkOrder) != 0) sb.Append('L');
        if ((f & SectionFlags.Group) != 0) sb.Append('G');
        if ((f & SectionFlags.Tls) != 0) sb.Append('T');
        if ((f & SectionFlags.RelaLivepatch) != 0) sb.Append('K');
        if ((f & SectionFlags.GnuRetain) != 0) sb.Append('R');
        if ((f & SectionFlags.Exclude) != 0) sb.Append('E');
        return sb.ToString();
    }
}
