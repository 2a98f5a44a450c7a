using System.Buffers.Binary;
using Kpk.Core;

namespace Kpk.Elf;

public sealed record ElfWriteOptions
{
    /// <summary>
    /// Build string tables afresh, holding only the names in use. Off by default, which keeps
    /// the original string tables (appending new names) so an unchanged object writes back identical.
    /// </summary>
    public bool CompactStringTables { get; init; }
}

/// <summary>
/// Writes an <see cref="ElfObject"/> as an ELF64 relocatable file. Everything derived is derived
/// here: section and symbol indexes, sh_link/sh_info, the symbol table (locals first, sh_info =
/// first non-local), extended section indexes, string tables, relocation and group contents, and
/// file offsets.
/// </summary>
public static class ElfWriter
{
    public static void Write(ElfObject obj, string path, ElfWriteOptions? options = null)
    {
        byte[] bytes = ToBytes(obj, options);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    public static byte[] ToBytes(ElfObject obj, ElfWriteOptions? options = null)
    {
        options ??= new ElfWriteOptions();
        string file = obj.FileName ?? "<object>";
        if (obj.Type != ElfType.Rel)
            throw new KpkException($"{file}: kpk writes relocatable objects only (this one is {obj.Type})");

        OrderSymbols(obj);
        AssignIndexes(obj);

        var symtab = obj.SymbolTable;
        if (symtab != null && !obj.Sections.Contains(symtab))
            throw new KpkException($"{file}: the symbol table section was removed but the object still has symbols");
        EnsureExtendedIndexTable(obj);
        AssignIndexes(obj);

        var sectionSet = new HashSet<ElfSection>(obj.Sections);
        var symbolSet = new HashSet<ElfSymbol>(obj.Symbols);

        // String tables.
        var builders = new Dictionary<ElfSection, StringTableBuilder>();
        StringTableBuilder BuilderFor(ElfSection strtab)
        {
            if (!builders.TryGetValue(strtab, out var b))
                builders[strtab] = b = options.CompactStringTables ? StringTableBuilder.Empty() : new StringTableBuilder(strtab.Data);
            return b;
        }

        var shstrtab = obj.SectionNameTable ?? throw new KpkException($"{file}: no section name table");
        if (!sectionSet.Contains(shstrtab)) throw new KpkException($"{file}: the section name table was removed");
        var nameOffsets = new uint[obj.Sections.Count + 1];
        var shBuilder = BuilderFor(shstrtab);
        foreach (var s in obj.Sections)
            nameOffsets[s.Index] = shBuilder.Add(s.Name, options.CompactStringTables ? uint.MaxValue : s.OriginalNameOffset);

        var symNameOffsets = new uint[obj.Symbols.Count + 1];
        if (symtab != null)
        {
            var strtab = symtab.Link ?? throw new KpkException($"{file}: symbol table has no string table (sh_link)");
            var symBuilder = BuilderFor(strtab);
            foreach (var sym in obj.Symbols)
                symNameOffsets[sym.Index] = symBuilder.Add(sym.Name, options.CompactStringTables ? uint.MaxValue : sym.OriginalNameOffset);
        }

        // Contents of derived sections.
        var contents = new Dictionary<ElfSection, byte[]>();
        foreach (var (strtab, builder) in builders) contents[strtab] = builder.ToArray();
        if (symtab != null)
        {
            contents[symtab] = BuildSymbolTable(obj, sectionSet, symNameOffsets, file, out var xindex);
            var shndx = obj.Sections.FirstOrDefault(s => s.Type == SectionType.SymTabShndx && s.Link == symtab);
            if (shndx != null) contents[shndx] = xindex;
        }
        foreach (var s in obj.Sections)
        {
            if (s.IsRelocation && s.Relocations != null)
            {
                s.Link ??= symtab;
                contents[s] = BuildRelocations(s, symbolSet, file);
                if (s.InfoSection != null && !sectionSet.Contains(s.InfoSection))
                    throw new KpkException($"{file}: relocation section {s.Name} targets section {s.InfoSection.Name}, which is not in the object");
            }
            else if (s.Type == SectionType.Group)
            {
                contents[s] = BuildGroup(s, sectionSet, file);
            }
            if (s.Link != null && !sectionSet.Contains(s.Link))
                throw new KpkException($"{file}: section {s.Name} links to section {s.Link.Name}, which is not in the object");
        }

        // Layout: header, section contents in index order, section header table.
        int sectionCount = obj.Sections.Count + 1;
        var offsets = new ulong[sectionCount];
        ulong pos = ElfSizes.Header;
        foreach (var s in obj.Sections)
        {
            if (s.Type == SectionType.NoBits) { offsets[s.Index] = pos; continue; }
            ulong align = Math.Max(1, s.Alignment);
            pos = (pos + align - 1) & ~(align - 1);
            offsets[s.Index] = pos;
            pos += contents.TryGetValue(s, out var c) ? (ulong)c.Length : (ulong)s.Data.Length;
        }
        pos = (pos + 7) & ~7UL;
        ulong shoff = pos;
        ulong total = shoff + (ulong)sectionCount * ElfSizes.SectionHeader;
        if (total > int.MaxValue) throw new KpkException($"{file}: output of {total} bytes is too large");

        var output = new byte[total];
        var span = output.AsSpan();
        WriteHeader(obj, span, shoff, sectionCount, shstrtab.Index);
        foreach (var s in obj.Sections)
        {
            if (s.Type == SectionType.NoBits) continue;
            var data = contents.TryGetValue(s, out var c) ? c : s.Data.Span;
            data.CopyTo(span[(int)offsets[s.Index]..]);
        }

        // Section header 0 carries the counts that do not fit in the ELF header.
        var h0 = span.Slice((int)shoff, ElfSizes.SectionHeader);
        if (sectionCount >= SpecialSection.LoReserve) BinaryPrimitives.WriteUInt64LittleEndian(h0[32..], (ulong)sectionCount);
        if (shstrtab.Index >= SpecialSection.LoReserve) BinaryPrimitives.WriteUInt32LittleEndian(h0[40..], (uint)shstrtab.Index);

        foreach (var s in obj.Sections)
        {
            var h = span.Slice((int)shoff + s.Index * ElfSizes.SectionHeader, ElfSizes.SectionHeader);
            ulong size = s.Type == SectionType.NoBits ? s.Size : contents.TryGetValue(s, out var c) ? (ulong)c.Length : (ulong)s.Data.Length;
            BinaryPrimitives.WriteUInt32LittleEndian(h, nameOffsets[s.Index]);
            BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)s.Type);
            BinaryPrimitives.WriteUInt64LittleEndian(h[8..], (ulong)s.Flags);
            BinaryPrimitives.WriteUInt64LittleEndian(h[16..], s.Address);
            BinaryPrimitives.WriteUInt64LittleEndian(h[24..], offsets[s.Index]);
            BinaryPrimitives.WriteUInt64LittleEndian(h[32..], size);
            BinaryPrimitives.WriteUInt32LittleEndian(h[40..], (uint)(s.Link?.Index ?? 0));
            BinaryPrimitives.WriteUInt32LittleEndian(h[44..], InfoOf(obj, s, file));
            BinaryPrimitives.WriteUInt64LittleEndian(h[48..], s.Alignment);
            BinaryPrimitives.WriteUInt64LittleEndian(h[56..], s.EntrySize);
        }
        return output;
    }

    /// <summary>The gABI wants every local symbol before the first global; keep relative order otherwise.</summary>
    private static void OrderSymbols(ElfObject obj)
    {
        bool seenGlobal = false, needsSort = false;
        foreach (var s in obj.Symbols)
        {
            if (s.Binding != SymbolBinding.Local) seenGlobal = true;
            else if (seenGlobal) { needsSort = true; break; }
        }
        if (!needsSort) return;
        var ordered = obj.Symbols.Where(s => s.Binding == SymbolBinding.Local)
            .Concat(obj.Symbols.Where(s => s.Binding != SymbolBinding.Local)).ToList();
        obj.Symbols.Clear();
        obj.Symbols.AddRange(ordered);
    }

    private static void AssignIndexes(ElfObject obj)
    {
        for (int i = 0; i < obj.Sections.Count; i++) obj.Sections[i].Index = i + 1;
        for (int i = 0; i < obj.Symbols.Count; i++) obj.Symbols[i].Index = i + 1;
    }

    /// <summary>Adds .symtab_shndx when some symbol's section index no longer fits in 16 bits.</summary>
    private static void EnsureExtendedIndexTable(ElfObject obj)
    {
        var symtab = obj.SymbolTable;
        if (symtab == null || obj.Sections.Any(s => s.Type == SectionType.SymTabShndx && s.Link == symtab)) return;
        // Adding the table itself may push indexes over the limit, so count it in.
        bool needed = obj.Sections.Count + 2 > SpecialSection.LoReserve
            && obj.Symbols.Any(s => s.Section != null && s.Section.Index + 1 >= SpecialSection.LoReserve);
        if (!needed) return;
        var shndx = new ElfSection(".symtab_shndx", SectionType.SymTabShndx) { Link = symtab, Alignment = 4, EntrySize = 4 };
        obj.Sections.Insert(obj.Sections.IndexOf(symtab) + 1, shndx);
    }

    private static uint InfoOf(ElfObject obj, ElfSection s, string file)
    {
        if (s == obj.SymbolTable)
        {
            int firstGlobal = obj.Symbols.FindIndex(x => x.Binding != SymbolBinding.Local);
            return (uint)(firstGlobal < 0 ? obj.Symbols.Count + 1 : firstGlobal + 1);
        }
        if (s.Type == SectionType.Group) return (uint)(s.GroupSignature?.Index ?? 0);
        if (s.IsRelocation || (s.Flags & SectionFlags.InfoLink) != 0) return (uint)(s.InfoSection?.Index ?? 0);
        return s.InfoValue;
    }

    private static byte[] BuildSymbolTable(ElfObject obj, HashSet<ElfSection> sections, uint[] nameOffsets, string file, out byte[] xindex)
    {
        var table = new byte[(obj.Symbols.Count + 1) * ElfSizes.Symbol];
        xindex = new byte[(obj.Symbols.Count + 1) * 4];
        foreach (var sym in obj.Symbols)
        {
            var e = table.AsSpan(sym.Index * ElfSizes.Symbol, ElfSizes.Symbol);
            ushort shndx;
            if (sym.Section != null)
            {
                if (!sections.Contains(sym.Section))
                    throw new KpkException($"{file}: symbol {sym.Name} is defined in section {sym.Section.Name}, which is not in the object");
                if (sym.Section.Index >= SpecialSection.LoReserve)
                {
                    shndx = SpecialSection.XIndex;
                    BinaryPrimitives.WriteUInt32LittleEndian(xindex.AsSpan(sym.Index * 4), (uint)sym.Section.Index);
                }
                else
                {
                    shndx = (ushort)sym.Section.Index;
                }
            }
            else
            {
                shndx = sym.SpecialIndex;
            }
            BinaryPrimitives.WriteUInt32LittleEndian(e, nameOffsets[sym.Index]);
            e[4] = (byte)(((int)sym.Binding << 4) | ((int)sym.Type & 0xf));
            e[5] = sym.Other;
            BinaryPrimitives.WriteUInt16LittleEndian(e[6..], shndx);
            BinaryPrimitives.WriteUInt64LittleEndian(e[8..], sym.Value);
            BinaryPrimitives.WriteUInt64LittleEndian(e[16..], sym.Size);
        }
        return table;
    }

    private static byte[] BuildRelocations(ElfSection s, HashSet<ElfSymbol> symbols, string file)
    {
        bool rela = s.Type == SectionType.Rela;
        int entry = rela ? ElfSizes.Rela : ElfSizes.Rel;
        if (s.EntrySize == 0) s.EntrySize = (ulong)entry;
        var bytes = new byte[s.Relocations!.Count * entry];
        for (int i = 0; i < s.Relocations.Count; i++)
        {
            var r = s.Relocations[i];
            if (r.Symbol != null && !symbols.Contains(r.Symbol))
                throw new KpkException($"{file}: relocation {i} of {s.Name} refers to symbol {r.Symbol.Name}, which is not in the symbol table");
            var e = bytes.AsSpan(i * entry, entry);
            BinaryPrimitives.WriteUInt64LittleEndian(e, r.Offset);
            BinaryPrimitives.WriteUInt64LittleEndian(e[8..], ((ulong)(uint)(r.Symbol?.Index ?? 0) << 32) | r.Type);
            if (rela) BinaryPrimitives.WriteInt64LittleEndian(e[16..], r.Addend);
        }
        return bytes;
    }

    private static byte[] BuildGroup(ElfSection s, HashSet<ElfSection> sections, string file)
    {
        var members = s.GroupMembers!;
        var bytes = new byte[4 + members.Count * 4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, s.GroupFlags);
        for (int i = 0; i < members.Count; i++)
        {
            if (!sections.Contains(members[i]))
                throw new KpkException($"{file}: group {s.Name} lists section {members[i].Name}, which is not in the object");
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4 + i * 4), (uint)members[i].Index);
        }
        return bytes;
    }

    private static void WriteHeader(ElfObject obj, Span<byte> b, ulong shoff, int sectionCount, int shstrndx)
    {
        b[0] = 0x7f; b[1] = (byte)'E'; b[2] = (byte)'L'; b[3] = (byte)'F';
        b[4] = ElfClass.Elf64; b[5] = ElfData.Lsb; b[6] = 1; b[7] = obj.OsAbi; b[8] = obj.AbiVersion;
        BinaryPrimitives.WriteUInt16LittleEndian(b[16..], (ushort)obj.Type);
        BinaryPrimitives.WriteUInt16LittleEndian(b[18..], obj.Machine);
        BinaryPrimitives.WriteUInt32LittleEndian(b[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(b[24..], obj.Entry);
        BinaryPrimitives.WriteUInt64LittleEndian(b[32..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(b[40..], shoff);
        BinaryPrimitives.WriteUInt32LittleEndian(b[48..], obj.Flags);
        BinaryPrimitives.WriteUInt16LittleEndian(b[52..], ElfSizes.Header);
        BinaryPrimitives.WriteUInt16LittleEndian(b[54..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(b[56..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(b[58..], ElfSizes.SectionHeader);
        BinaryPrimitives.WriteUInt16LittleEndian(b[60..], sectionCount >= SpecialSection.LoReserve ? (ushort)0 : (ushort)sectionCount);
        BinaryPrimitives.WriteUInt16LittleEndian(b[62..], shstrndx >= SpecialSection.LoReserve ? SpecialSection.XIndex : (ushort)shstrndx);
    }
}
