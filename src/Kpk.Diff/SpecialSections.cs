using Kpk.Core;
using Kpk.Elf;

namespace Kpk.Diff;

/// <summary>
/// Special sections are tables with an entry per site in the code (a BUG, an exception fixup,
/// a jump label, an alternative, a paravirt call, a retpoline...). The patch keeps the entries of
/// the functions it carries and drops the rest, since the others describe code that stays in the
/// running kernel.
/// </summary>
internal sealed class SpecialSections(Obj patched, DiffOptions options, List<string> fatal, List<string> warnings, bool objtoolAtModuleLink = false)
{
    /// <summary>
    /// The tables objtool writes (and the __pfx_ symbols it adds). With IBT (and clang LTO)
    /// kbuild runs objtool on the linked module instead of on each object, over the patch
    /// module too; it regenerates these for all of the module's code, the hook included, and
    /// refuses to when a part already has one ("file already has .call_sites, skipping").
    /// </summary>
    private static readonly string[] ObjtoolTables =
        [".call_sites", ".return_sites", ".retpoline_sites", ".ibt_endbr_seal", ".static_call_sites", ".cfi_sites",
         ".orc_unwind", ".orc_unwind_ip", ".orc_header"];

    public void Run()
    {
        // .fixup groups are found through __ex_table's references, which must be read before
        // __ex_table is itself rebuilt (the table lists .fixup first).
        Dictionary<long, long>? fixupMoves = null;
        if (objtoolAtModuleLink) LeaveObjtoolTablesToObjtool();
        foreach (var kind in SpecialSectionTable.All)
        {
            if (!kind.AppliesTo(patched.Arch) || kind.Grouping == EntryGrouping.Regenerated) continue;
            if (objtoolAtModuleLink && ObjtoolTables.Contains(kind.Name)) continue;
            var sec = patched.FindSection(kind.Name);
            if (sec?.Rela == null) continue;
            switch (kind.Grouping)
            {
                case EntryGrouping.ExceptionFixups:
                    fixupMoves = RebuildFixup(sec.Rela, kind);
                    break;
                case EntryGrouping.Parallel:
                    RebuildParallel(sec, kind);
                    break;
                default:
                    Rebuild(sec.Rela, kind, kind.Name == "__ex_table" ? fixupMoves : null);
                    break;
            }
            if (kind.Companion != null && sec.Include) IncludeWhole(kind.Companion);
        }
    }

    private void LeaveObjtoolTablesToObjtool()
    {
        foreach (var name in ObjtoolTables)
        {
            var sec = patched.FindSection(name);
            if (sec == null) continue;
            foreach (var part in sec.Rela == null ? [sec] : new[] { sec, sec.Rela })
            {
                part.Include = false;
                part.Status = Status.Same;
            }
        }
        foreach (var sym in patched.Symbols)
            if (sym.IsFunc && sym.Name.StartsWith("__pfx_", StringComparison.Ordinal)) sym.Include = false;
    }

    /// <summary>An entry is kept when one of its relocations points into a function the patch carries.</summary>
    private bool KeepGroup(List<Rela> entry, ulong start, Sec table, SpecialSectionKind kind)
    {
        if (!entry.Any(r => r.Sym is { IsFunc: true, Sec.Include: true })) return false;
        return kind.Check switch
        {
            EntryCheck.JumpKey => CheckKey(entry, start, table, keyIndex: 2, "jump label"),
            EntryCheck.StaticCallKey => CheckKey(entry, start, table, keyIndex: 1, "static call"),
            _ => true,
        };
    }

    /// <summary>Relocations grouped by the entry they fall in, in one pass: tables can hold tens of thousands of entries.</summary>
    private static List<Rela>[] GroupByEntry(Sec rela, Func<ulong, int> entryOf, int entries)
    {
        var groups = new List<Rela>[entries];
        for (int i = 0; i < entries; i++) groups[i] = new List<Rela>();
        foreach (var r in rela.Relas.OrderBy(r => r.Offset))
        {
            int e = entryOf(r.Offset);
            if (e >= 0 && e < entries) groups[e].Add(r);
        }
        return groups;
    }

    /// <summary>
    /// Jump labels and static calls are initialised when the patch module loads. Their keys
    /// must then already be resolvable: in vmlinux or the patch itself, not in a module that may
    /// load later (late module patching would apply the key's relocation after that init).
    /// </summary>
    private bool CheckKey(List<Rela> inGroup, ulong start, Sec table, int keyIndex, string what)
    {
        if (inGroup.Count <= keyIndex)
        {
            fatal.Add($"{table.Name}: entry at offset {start} has an unexpected format ({inGroup.Count} relocations)");
            return false;
        }
        var key = inGroup[keyIndex].Sym;
        var code = inGroup[0];
        if (key == null) return true;
        bool tracepoint = key.Name.StartsWith("__tracepoint_", StringComparison.Ordinal);
        bool dynamicDebug = Analysis.IsDynamicDebug(key);
        if (dynamicDebug)
        {
            // The descriptor is a new static of the patch; without the entry the pr_debug site
            // stays a nop: the patched function runs, only that debug message cannot be enabled.
            warnings.Add($"pr_debug in {code.Sym?.Name} cannot be enabled in the patched function (its dynamic-debug jump label is left out)");
            return false;
        }
        string? keyModule = KeyModule(key);
        if (keyModule == null) return true;
        // An inert tracepoint or pr_debug in a module is harmless; leave it out.
        if (tracepoint || dynamicDebug) return false;
        fatal.Add($"{what} in {code.Sym?.Name}+0x{code.Addend:x} uses key {key.Name}, which lives in module {keyModule}: " +
                  "use static_key_enabled() (or a plain call) instead");
        return false;
    }

    /// <summary>The module a key lives in, or null when it is in vmlinux or the patch itself.</summary>
    private string? KeyModule(Sym key)
    {
        if (key.Sec != null)
            return options.ParentName == "vmlinux" || key.Status == Status.New ? null : options.ParentName;
        string? exporter = options.Exports.ExporterOf(key.Name);
        if (exporter != null) return exporter == "vmlinux" ? null : exporter;
        if (options.ParentName != "vmlinux" && (options.Parent.HasGlobal(key.Name) || options.Parent.HasLocal(key.Name)))
            return options.ParentName;
        return null;
    }

    private void Rebuild(Sec rela, SpecialSectionKind kind, Dictionary<long, long>? fixupMoves)
    {
        var sec = rela.Base!;
        int entry = kind.EntrySize(patched.Arch, options.SpecialSizes);
        if (entry <= 0) throw new KpkException($"entry size of {sec.Name} must be positive");
        var src = sec.Data;
        var dest = new byte[src.Length];
        var kept = new List<Rela>();
        ulong destOffset = 0;
        int entries = (src.Length + entry - 1) / entry;
        var groups = GroupByEntry(rela, offset => (int)(offset / (ulong)entry), entries);
        for (int e = 0; e < entries; e++)
        {
            ulong at = (ulong)e * (ulong)entry;
            ulong size = Math.Min((ulong)entry, (ulong)src.Length - at);
            if (!KeepGroup(groups[e], at, sec, kind)) continue;
            foreach (var r in groups[e])
            {
                r.Offset = r.Offset - at + destOffset;
                if (fixupMoves != null && r.Sym?.Name == ".fixup" && fixupMoves.TryGetValue(r.Addend, out long moved)) r.Addend = moved;
                if (r.Sym != null) r.Sym.Include = true;
                kept.Add(r);
            }
            src.Slice((int)at, (int)size).CopyTo(dest.AsSpan((int)destOffset));
            destOffset += size;
        }
        Finish(sec, rela, dest, destOffset, kept);
    }

    private static void Finish(Sec sec, Sec rela, byte[] dest, ulong length, List<Rela> kept)
    {
        if (length == 0)
        {
            sec.Status = rela.Status = Status.Same;
            sec.Include = rela.Include = false;
            return;
        }
        rela.Relas = kept;
        rela.Include = sec.Include = true;
        if (sec.SecSym != null) sec.SecSym.Include = true;
        sec.NewData = dest.AsSpan(0, (int)length).ToArray();
    }

    /// <summary>
    /// .fixup holds variable-sized code stubs, each starting where an __ex_table entry points.
    /// Returns where each kept stub moved, so __ex_table's references can follow.
    /// </summary>
    private Dictionary<long, long> RebuildFixup(Sec rela, SpecialSectionKind kind)
    {
        var sec = rela.Base!;
        var moves = new Dictionary<long, long>();
        var ex = patched.FindSection(".rela__ex_table");
        if (ex == null) return moves;
        var starts = ex.Relas.Where(r => r.Sym?.Name == ".fixup").Select(r => r.Addend).Distinct().Order().ToList();
        var src = sec.Data;
        var dest = new byte[src.Length];
        var kept = new List<Rela>();
        ulong destOffset = 0;
        var startArray = starts.Select(x => (ulong)x).ToArray();
        var groups = GroupByEntry(rela, offset =>
        {
            int i = Array.BinarySearch(startArray, offset);
            return i >= 0 ? i : ~i - 1;
        }, startArray.Length);
        for (int i = 0; i < startArray.Length; i++)
        {
            ulong at = startArray[i];
            ulong end = i + 1 < startArray.Length ? startArray[i + 1] : (ulong)src.Length;
            if (at >= (ulong)src.Length || end <= at) continue;
            ulong size = end - at;
            if (!KeepGroup(groups[i], at, sec, kind)) continue;
            foreach (var r in groups[i])
            {
                r.Offset = r.Offset - at + destOffset;
                if (r.Sym != null) r.Sym.Include = true;
                kept.Add(r);
            }
            moves[(long)at] = (long)destOffset;
            src.Slice((int)at, (int)size).CopyTo(dest.AsSpan((int)destOffset));
            destOffset += size;
        }
        Finish(sec, rela, dest, destOffset, kept);
        return moves;
    }

    /// <summary>Code that kept entries point into (.altinstr_replacement), carried whole.</summary>
    private void IncludeWhole(string name)
    {
        var sec = patched.FindSection(name);
        if (sec == null) return;
        sec.Include = true;
        foreach (var sym in patched.Symbols.Where(y => y.Sec == sec)) sym.Include = true;
        if (sec.Rela == null) return;
        sec.Rela.Include = true;
        foreach (var r in sec.Rela.Relas)
            if (r.Sym != null) Inclusion.IncludeSymbol(r.Sym);
    }

    /// <summary>Entries split in two parallel tables (ORC: .orc_unwind_ip holds the addresses, .orc_unwind the entries).</summary>
    private void RebuildParallel(Sec ip, SpecialSectionKind kind)
    {
        var orc = patched.FindSection(kind.ParallelTable!);
        if (orc == null || ip.Rela == null) return;
        int entry = kind.EntrySize(patched.Arch, options.SpecialSizes);
        if (orc.Size % (ulong)entry != 0)
        {
            fatal.Add($"{orc.Name} is {orc.Size} bytes, not a multiple of its entry size {entry}");
            return;
        }
        if (ip.Size != orc.Size / (ulong)entry * 4)
        {
            fatal.Add($"{orc.Name} and {ip.Name} do not describe the same number of entries");
            return;
        }
        var src = orc.Data;
        var dest = new byte[src.Length];
        var kept = new List<Rela>();
        int destIndex = 0;
        foreach (var r in ip.Rela.Relas.OrderBy(r => r.Offset))
        {
            int srcIndex = (int)(r.Offset / 4);
            if (r.Sym is not { IsFunc: true, Sec.Include: true }) continue;
            src.Slice(srcIndex * entry, entry).CopyTo(dest.AsSpan(destIndex * entry));
            r.Offset = (ulong)destIndex * 4;
            r.Sym.Include = true;
            kept.Add(r);
            destIndex++;
        }
        if (destIndex == 0)
        {
            orc.Include = ip.Include = ip.Rela.Include = false;
            orc.Status = ip.Status = ip.Rela.Status = Status.Same;
            return;
        }
        ip.Rela.Relas = kept;
        orc.Include = ip.Include = ip.Rela.Include = true;
        orc.NewData = dest.AsSpan(0, destIndex * entry).ToArray();
        ip.NewData = new byte[destIndex * 4];
    }
}
