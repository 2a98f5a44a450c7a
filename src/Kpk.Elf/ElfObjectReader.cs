namespace Kpk.Elf;

/// <summary>Builds the editable <see cref="ElfObject"/> model from a validated <see cref="ElfImage"/>.</summary>
internal static class ElfObjectReader
{
    public static ElfObject Read(ElfImage image)
    {
        try
        {
            return Build(image);
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    private static ElfObject Build(ElfImage image)
    {
        var obj = new ElfObject(image);
        var headers = image.Sections;
        var sections = new ElfSection?[headers.Count];
        for (int i = 1; i < headers.Count; i++)
        {
            var h = headers[i];
            var s = new ElfSection(image.SectionName(i), h.Type, h.Flags)
            {
                Address = h.Address,
                Alignment = h.Alignment,
                EntrySize = h.EntrySize,
                Index = i,
                OriginalNameOffset = h.NameOffset,
            };
            if (h.Type == SectionType.NoBits) s.Size = h.Size;
            else s.Data = image.SectionData(i);
            sections[i] = s;
            obj.Sections.Add(s);
        }
        if (headers.Count > 0) obj.SectionNameTable = sections[image.SectionNameTableIndex];

        ElfSection SectionAt(int index, string what)
        {
            if (index <= 0 || index >= sections.Length)
                throw new ElfFormatException(image.FileName, $"{what}: section index {index} out of range (1..{sections.Length - 1})");
            return sections[index]!;
        }

        // Links and sh_info that name sections.
        for (int i = 1; i < headers.Count; i++)
        {
            var h = headers[i];
            var s = sections[i]!;
            if (h.Link != 0) s.Link = SectionAt((int)h.Link, $"section {i} ({s.Name}) sh_link");
            bool infoIsSection = h.Type is SectionType.Rela or SectionType.Rel || (h.Flags & SectionFlags.InfoLink) != 0;
            if (infoIsSection && h.Info != 0) s.InfoSection = SectionAt((int)h.Info, $"section {i} ({s.Name}) sh_info");
            else if (!infoIsSection && h.Type is not (SectionType.SymTab or SectionType.Group)) s.InfoValue = h.Info;
            else if (h.Type == SectionType.SymTab) s.InfoValue = h.Info;
        }

        // Symbols.
        int symtab = image.FindSection(SectionType.SymTab);
        var symbols = Array.Empty<ElfSymbol?>();
        if (symtab > 0)
        {
            obj.SymbolTable = sections[symtab];
            int strtab = (int)headers[symtab].Link;
            var raw = image.ReadSymbols(symtab);
            symbols = new ElfSymbol?[raw.Length];
            for (int i = 1; i < raw.Length; i++)
            {
                var r = raw[i];
                var sym = new ElfSymbol(image.ReadString(strtab, r.NameOffset))
                {
                    Binding = r.Binding,
                    Type = r.Type,
                    Other = r.Other,
                    Value = r.Value,
                    Size = r.Size,
                    Index = i,
                    OriginalNameOffset = r.NameOffset,
                };
                if (r.IsSpecial)
                {
                    sym.SpecialIndex = r.Shndx;
                }
                else
                {
                    sym.Section = SectionAt((int)r.SectionIndex, $"symbol {i} ({sym.Name})");
                }
                symbols[i] = sym;
                obj.Symbols.Add(sym);
            }
        }

        ElfSymbol? SymbolAt(ulong index, string what)
        {
            if (index == 0) return null;
            if (index >= (ulong)symbols.Length)
                throw new ElfFormatException(image.FileName, $"{what}: symbol index {index} out of range (0..{symbols.Length - 1})");
            return symbols[index];
        }

        // Relocations and groups.
        for (int i = 1; i < headers.Count; i++)
        {
            var h = headers[i];
            var s = sections[i]!;
            if (s.IsRelocation)
            {
                if (h.Link != symtab)
                {
                    // Relocations against another table (.rela.dyn of an executable): kept as raw bytes.
                    s.Relocations = null;
                    continue;
                }
                var data = s.Data.Span;
                bool rela = h.Type == SectionType.Rela;
                int entry = rela ? ElfSizes.Rela : ElfSizes.Rel;
                int count = data.Length / entry;
                var list = new List<ElfRelocation>(count);
                for (int k = 0; k < count; k++)
                {
                    var e = data.Slice(k * entry, entry);
                    ulong info = ElfImage.U64(e, 8);
                    var sym = SymbolAt(info >> 32, $"section {i} ({s.Name}) relocation {k}");
                    long addend = rela ? (long)ElfImage.U64(e, 16) : 0;
                    ulong offset = ElfImage.U64(e, 0);
                    if (obj.Type == ElfType.Rel) CheckPlace(image.FileName, s, k, offset, (uint)info, obj.Machine);
                    list.Add(new ElfRelocation(offset, (uint)info, sym, addend));
                }
                s.Relocations = list;
            }
            else if (s.Type == SectionType.Group)
            {
                var data = s.Data.Span;
                s.GroupFlags = ElfImage.U32(data, 0);
                for (int k = 4; k + 4 <= data.Length; k += 4)
                    s.GroupMembers!.Add(SectionAt((int)ElfImage.U32(data, k), $"group section {i} ({s.Name}) member"));
                s.GroupSignature = SymbolAt(h.Info, $"group section {i} ({s.Name}) signature");
            }
        }
        return obj;
    }

    /// <summary>
    /// In a relocatable object r_offset is a place inside the relocated section, and the bytes the
    /// relocation writes (their number known for x86-64, at least one otherwise) must be there too.
    /// </summary>
    private static void CheckPlace(string file, ElfSection rela, int k, ulong offset, uint type, ushort machine)
    {
        if (rela.InfoSection is not { } target || target.Type == SectionType.NoBits) return;
        ulong width = (ulong)Math.Max(1, machine == ElfMachine.X86_64 ? X86_64Relocation.Width(type) : 1);
        ulong size = target.Size;
        if (offset > size || size - offset < width)
            throw new ElfFormatException(file, $"section {rela.Index} ({rela.Name}) relocation {k}: offset 0x{offset:x} ({width} bytes) lies outside section {target.Name} ({size} bytes)");
    }
}
