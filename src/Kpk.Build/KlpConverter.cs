using System.Buffers.Binary;
using System.Text;
using Kpk.Core;
using Kpk.Diff;
using Kpk.Elf;

namespace Kpk.Build;

/// <summary>What the post-link step changed in a module.</summary>
public sealed record KlpConversion(int Symbols, int Relocations, IReadOnlyList<string> Sections, int CallSitesDropped = 0);

/// <summary>
/// The post-link step that makes a kbuild-linked module a livepatch module
/// (Documentation/livepatch/module-elf-format.rst): every relocation against a
/// <c>.klp.sym.OBJ.NAME,POS</c> symbol moves to a <c>.klp.rela.OBJ.SECTION</c> section
/// (SHT_RELA, SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH, sh_info = the section it patches),
/// which the module loader leaves to the livepatch core; those symbols get SHN_LIVEPATCH so the
/// loader does not try to resolve them; and they leave <c>__versions</c> if modpost put them there.
/// </summary>
public static class KlpConverter
{
    private const string RelaPrefix = ".klp.rela.";

    public static KlpConversion Convert(ElfObject module)
    {
        var klpSymbols = module.Symbols.Where(s => s.Name.StartsWith(LivepatchBinding.SymbolPrefix, StringComparison.Ordinal)).ToList();
        foreach (var sym in klpSymbols)
        {
            if (!sym.IsUndefined && sym.SpecialIndex != SpecialSection.Livepatch)
                throw new KpkException($"{module.FileName}: {sym.Name} is defined in the module; a livepatch symbol must be undefined");
            ObjectName(sym.Name, module.FileName); // validates the name
            sym.Section = null;
            sym.SpecialIndex = SpecialSection.Livepatch;
            sym.Binding = SymbolBinding.Global;
        }
        var klpSet = klpSymbols.ToHashSet();
        // The livepatch core applies .klp.rela sections with the architecture's module loader.
        var arch = klpSymbols.Count > 0 ? Architecture.For(module.Machine, module.FileName ?? "module") : null;
        int moved = 0;
        var created = new List<string>();
        foreach (var rela in module.Sections.Where(s => s.Type == SectionType.Rela && s.Relocations != null && !s.Name.StartsWith(RelaPrefix, StringComparison.Ordinal)).ToList())
        {
            var target = rela.InfoSection;
            var bound = rela.Relocations!.Where(r => r.Symbol != null && klpSet.Contains(r.Symbol)).ToList();
            if (bound.Count == 0) continue;
            if (target == null)
                throw new KpkException($"{module.FileName}: {rela.Name} relocates livepatch symbols but names no target section");
            foreach (var r in bound)
                if (!arch!.ModuleLoaderAccepts(r.Type))
                    throw new KpkException($"{module.FileName}: {target.Name}+0x{r.Offset:x}: {arch.RelocationName(r.Type)} against {r.Symbol!.Name} " +
                                           $"is not a relocation the {arch.Name} module loader applies (was the patch built with the kernel's flags?)");
            foreach (var group in bound.GroupBy(r => ObjectName(r.Symbol!.Name, module.FileName)))
            {
                string name = $"{RelaPrefix}{group.Key}.{target.Name}";
                var klpRela = module.FindSection(name);
                if (klpRela == null)
                {
                    klpRela = new ElfSection(name, SectionType.Rela, SectionFlags.Alloc | SectionFlags.InfoLink | SectionFlags.RelaLivepatch)
                    {
                        Alignment = 8,
                        EntrySize = 24,
                        Link = module.SymbolTable,
                        InfoSection = target,
                    };
                    module.Sections.Add(klpRela);
                    created.Add(name);
                }
                klpRela.Relocations!.AddRange(group);
                moved += group.Count();
            }
            rela.Relocations!.RemoveAll(r => r.Symbol != null && klpSet.Contains(r.Symbol));
            if (rela.Relocations.Count == 0) module.Sections.Remove(rela);
        }
        RemoveVersions(module, klpSet);
        int dropped = DropLivepatchCallSites(module);
        return new KlpConversion(klpSymbols.Count, moved, created, dropped);
    }

    /// <summary>
    /// With call depth tracking (CONFIG_CALL_THUNKS, 6.2+) the module loader redirects each call
    /// that .call_sites lists to the accounting thunk in front of its destination, in
    /// module_finalize. A call whose destination only the livepatch core resolves still has a
    /// zero displacement then (livepatch relocations apply later, at klp_enable_patch or when the
    /// patched module loads): the loader would see a call to the next instruction and warn
    /// "Invalid padding area". Such sites leave the table; the call stays a direct call, as the
    /// kernel's own klp-build leaves it. Returns how many were dropped.
    /// </summary>
    private static int DropLivepatchCallSites(ElfObject module)
    {
        var sites = module.FindSection(".call_sites");
        if (sites == null) return 0;
        var rela = module.RelocationSectionsFor(sites).SingleOrDefault(s => !s.Name.StartsWith(RelaPrefix, StringComparison.Ordinal));
        if (rela?.Relocations == null) return 0;
        // Places of the displacements the livepatch core fills: (section, offset).
        var livepatchPlaces = module.Sections
            .Where(s => s.Name.StartsWith(RelaPrefix, StringComparison.Ordinal) && s.InfoSection != null && s.Relocations != null)
            .SelectMany(s => s.Relocations!.Select(r => (s.InfoSection!, r.Offset)))
            .ToHashSet();
        if (livepatchPlaces.Count == 0) return 0;
        const int entry = 4; // s32 relative to itself
        var data = sites.Data.Span;
        var kept = new List<byte>(data.Length);
        var keptRelocations = new List<ElfRelocation>();
        int dropped = 0;
        foreach (var r in rela.Relocations.OrderBy(r => r.Offset))
        {
            if (r.Symbol?.Section is not { } text || r.Offset % entry != 0 || (int)r.Offset + entry > data.Length)
                throw new KpkException($"{module.FileName}: .call_sites entry at offset {r.Offset} does not point into code");
            // The entry points at the call instruction; its displacement follows the opcode byte.
            ulong call = r.Symbol.Value + (ulong)r.Addend;
            if (livepatchPlaces.Contains((text, call + 1)))
            {
                dropped++;
                continue;
            }
            int from = (int)r.Offset;
            r.Offset = (ulong)kept.Count;
            kept.AddRange(data.Slice(from, entry).ToArray());
            keptRelocations.Add(r);
        }
        if (dropped == 0) return 0;
        if (keptRelocations.Count == 0)
        {
            module.Sections.Remove(rela);
            module.Sections.Remove(sites);
            return dropped;
        }
        rela.Relocations = keptRelocations;
        sites.Data = kept.ToArray();
        return dropped;
    }

    /// <summary>The OBJ of <c>.klp.sym.OBJ.NAME,POS</c>.</summary>
    private static string ObjectName(string symbol, string? file)
    {
        var rest = symbol.AsSpan(LivepatchBinding.SymbolPrefix.Length);
        int dot = rest.IndexOf('.');
        int comma = symbol.LastIndexOf(',');
        if (dot <= 0 || comma < 0 || !ulong.TryParse(symbol.AsSpan(comma + 1), out _))
            throw new KpkException($"{file}: '{symbol}' is not a livepatch symbol name (.klp.sym.OBJ.NAME,POS)");
        return rest[..dot].ToString();
    }

    /// <summary>
    /// __versions holds struct modversion_info { unsigned long crc; char name[56]; }: an entry for a
    /// livepatch symbol would make the loader look it up, so it goes.
    /// </summary>
    private static void RemoveVersions(ElfObject module, HashSet<ElfSymbol> klpSymbols)
    {
        var versions = module.FindSection("__versions");
        if (versions == null || klpSymbols.Count == 0) return;
        const int entry = 64;
        var names = klpSymbols.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var data = versions.Data.Span;
        var kept = new List<byte>(data.Length);
        for (int off = 0; off + entry <= data.Length; off += entry)
        {
            var nameBytes = data.Slice(off + 8, entry - 8);
            int nul = nameBytes.IndexOf((byte)0);
            string name = Encoding.ASCII.GetString(nul < 0 ? nameBytes : nameBytes[..nul]);
            if (!names.Contains(name)) kept.AddRange(data.Slice(off, entry).ToArray());
        }
        versions.Data = kept.ToArray();
    }

    /// <summary>Converts a module file in place (atomically).</summary>
    public static KlpConversion ConvertFile(string path)
    {
        byte[] bytes;
        KlpConversion result;
        using (var module = ElfObject.Read(path))
        {
            result = Convert(module);
            bytes = ElfWriter.ToBytes(module);
        }
        AtomicFile.WriteAllBytes(path, bytes);
        return result;
    }
}
