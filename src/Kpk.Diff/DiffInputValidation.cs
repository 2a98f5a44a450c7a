using Kpk.Core;
using Kpk.Elf;

namespace Kpk.Diff;

/// <summary>
/// What the differ relies on in each input, checked once before it looks at anything: the ELF
/// reader accepts any well-formed ELF, but the differ pairs sections by name, slices function
/// bytes by symbol, and rebuilds special sections entry by relocated entry, so a file that is
/// valid ELF yet not what a compiler writes (a ".rela" section of another type, a relocation
/// past the end of its section, a symbol beyond its section) would otherwise surface as a crash
/// deep inside a pass. Each refusal names the file, the section and the entry. Kept on its own,
/// independent of the passes, so that it holds whatever architecture they learn.
/// </summary>
public static class DiffInputValidation
{
    public static void Check(ElfObject elf)
    {
        string file = elf.FileName ?? "object";
        var relocationOf = new Dictionary<ElfSection, ElfSection>();
        foreach (var section in elf.Sections)
        {
            if (section.Name.StartsWith(".rela", StringComparison.Ordinal) && section.Type != SectionType.Rela)
                throw Refuse(file, section, $"is named as a relocation section but its type is {Describe(section.Type)}, not SHT_RELA");
            if (section.Type == SectionType.Rel)
                throw Refuse(file, section, "has SHT_REL relocations; the differ reads SHT_RELA ones (addend in the entry), as the kernel's architectures use");
            if (section.Type == SectionType.Rela) CheckRelocationSection(file, elf, section, relocationOf);
            if (section.Type == SectionType.Group) CheckGroup(file, section);
        }
        foreach (var symbol in elf.Symbols) CheckSymbol(file, symbol);
    }

    private static void CheckRelocationSection(string file, ElfObject elf, ElfSection rela, Dictionary<ElfSection, ElfSection> relocationOf)
    {
        var target = rela.InfoSection;
        if (target == null) throw Refuse(file, rela, "relocates no section (sh_info)");
        if (target.IsRelocation || target.Type is SectionType.SymTab or SectionType.StrTab or SectionType.Null)
            throw Refuse(file, rela, $"relocates section {target.Name}, which is of type {Describe(target.Type)}");
        if (rela.Name != ".rela" + target.Name)
            throw Refuse(file, rela, $"relocates section {target.Name}; a compiler names that section's relocations .rela{target.Name}");
        if (!relocationOf.TryAdd(target, rela))
            throw Refuse(file, rela, $"is a second relocation section for {target.Name} (the first is {relocationOf[target].Name})");
        if (rela.Link != elf.SymbolTable)
            throw Refuse(file, rela, "does not link to the symbol table");
        // That every relocation's place lies inside its section, ElfObjectReader checks for any relocatable object.
    }

    private static void CheckGroup(string file, ElfSection group)
    {
        if (group.GroupMembers == null) return;
        foreach (var member in group.GroupMembers)
            if (member.Type == SectionType.Group)
                throw Refuse(file, group, $"lists the group {member.Name} as a member");
    }

    /// <summary>A function or variable must lie within its section: the differ compares and copies exactly those bytes.</summary>
    private static void CheckSymbol(string file, ElfSymbol symbol)
    {
        if (symbol.Section is not { } section || symbol.Type is not (SymbolType.Func or SymbolType.Object)) return;
        ulong size = section.Size;
        if (symbol.Value > size || size - symbol.Value < symbol.Size)
            throw new KpkException($"{file}: symbol {symbol.Name} (entry {symbol.Index}) at 0x{symbol.Value:x}, {symbol.Size} bytes, lies outside its section {section.Name} ({size} bytes)");
    }

    private static string Describe(SectionType type) => Enum.IsDefined(type) ? type.ToString() : $"0x{(uint)type:x}";

    private static KpkException Refuse(string file, ElfSection section, string why) =>
        new($"{file}: section {section.Name} [{section.Index}] {why}");
}
