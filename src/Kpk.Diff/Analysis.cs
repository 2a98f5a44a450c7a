using Kpk.Core;
using Kpk.Elf;

namespace Kpk.Diff;

/// <summary>A change that cannot be live patched; collected and reported together, with reasons.</summary>
internal sealed class UnsupportedChangeException(IReadOnlyList<string> reasons)
    : Exception(string.Join("; ", reasons))
{
    public IReadOnlyList<string> Reasons { get; } = reasons;
}

/// <summary>
/// The first phase of diffing, applied to each object on its own: which symbol owns which
/// section, which functions were split off which, which functions start with an ftrace call, and
/// references through section symbols rewritten to the function or object they mean.
/// </summary>
internal static class Analysis
{
    public static void Prepare(Obj obj)
    {
        BundleSymbols(obj);
        DetectChildren(obj);
        MarkGroupedSections(obj);
        ReplaceSectionSymbols(obj);
        ResolveStrings(obj);
        obj.Arch.ResolveIndirections(obj);
        obj.Arch.FindTraceSites(obj);
    }

    /// <summary>
    /// With -ffunction-sections and -fdata-sections each function or object gets a section named
    /// after it; such a symbol "owns" its section, and a change to the section is a change to it.
    /// </summary>
    private static void BundleSymbols(Obj obj)
    {
        // ld -r merges same-named sections: a static function several files define (an
        // out-of-line copy of a header inline) is then several symbols in one .text.NAME. Such a
        // section belongs to none of them.
        var owners = new Dictionary<Sec, List<Sym>>();
        foreach (var sym in obj.Symbols)
        {
            if (sym.Sec == null || !IsBundleable(sym)) continue;
            if (!owners.TryGetValue(sym.Sec, out var list)) owners[sym.Sec] = list = new List<Sym>(1);
            list.Add(sym);
        }
        foreach (var (sec, candidates) in owners)
        {
            if (candidates.Count > 1) continue;
            var sym = candidates[0];
            // What may precede a function in its section (ftrace padding, a TOC pointer) is the architecture's.
            bool entry = sym.Value == 0 || (sym.IsFunc && obj.Arch.IsEntryOffset(obj, sym));
            // In an ld -r object, bytes before it are another unit's copy whose symbol the link
            // dropped (a weak COND_SYSCALL stub overridden by the real one): merged, no owner.
            if (!entry && obj.CompilationUnits > 1) continue;
            if (!entry)
                throw new KpkException($"{obj.File}: symbol {sym.Name} is at offset {sym.Value} of its own section {sec.Name}, expected 0");
            sec.Sym = sym;
        }
    }

    private static bool IsBundleable(Sym sym)
    {
        string sec = sym.Sec!.Name, name = sym.Name;
        if (sym.Type == SymbolType.Func)
        {
            if (Suffix(sec, ".text.") == name || Suffix(sec, ".text.hot.") == name) return true;
            string? unlikely = Suffix(sec, ".text.unlikely.");
            if (unlikely != null && (unlikely == name || (name.Contains(".cold", StringComparison.Ordinal) && name.StartsWith(unlikely, StringComparison.Ordinal))))
                return true;
            return false;
        }
        if (sym.Type == SymbolType.Object)
        {
            return Suffix(sec, ".data.") == name || Suffix(sec, ".data.rel.") == name || Suffix(sec, ".data.rel.ro.") == name
                || Suffix(sec, ".rodata.") == name || Suffix(sec, ".bss.") == name;
        }
        return false;
    }

    private static string? Suffix(string s, string prefix) =>
        s.StartsWith(prefix, StringComparison.Ordinal) ? s[prefix.Length..] : null;

    /// <summary>gcc moves unlikely code to <c>f.cold</c> and splits functions into <c>f.part.N</c>: link them to <c>f</c>.</summary>
    private static void DetectChildren(Obj obj)
    {
        foreach (var sym in obj.Symbols)
        {
            if (!sym.IsFunc) continue;
            int cold = sym.Name.IndexOf(".cold", StringComparison.Ordinal);
            if (cold > 0)
            {
                sym.Parent = obj.FindSymbol(sym.Name[..cold], sym)
                    ?? throw new KpkException($"{obj.File}: cannot find the function {sym.Name[..cold]} that {sym.Name} was split from");
            }
            else
            {
                int part = sym.Name.IndexOf(".part.", StringComparison.Ordinal);
                if (part <= 0) continue;
                sym.Parent = obj.FindSymbol(sym.Name[..part], sym);
            }
            if (sym.Parent == sym) sym.Parent = null;
            sym.Parent?.Children.Add(sym);
        }
    }

    private static void MarkGroupedSections(Obj obj)
    {
        foreach (var g in obj.Sections.Where(s => s.Elf.Type == SectionType.Group))
            foreach (var member in g.Elf.GroupMembers!)
                obj.SecOf[member].Grouped = true;
    }

    /// <summary>
    /// The compiler often refers to a function or object through its section symbol plus an
    /// offset. Such references differ between objects even when the code does not, and cannot be
    /// bound to the running kernel; rewrite them to the symbol that covers the referenced place.
    /// </summary>
    private static void ReplaceSectionSymbols(Obj obj)
    {
        Dictionary<Sec, List<Sym>>? symbolsBySection = null;
        foreach (var sec in obj.Sections)
        {
            if (!sec.IsRela || sec.IsDebug) continue;
            foreach (var rela in sec.Relas)
            {
                var target = rela.Sym;
                if (target == null || target.Type != SymbolType.Section || target.Sec == null) continue;
                if (target.Sec.Sym != null)
                {
                    rela.Sym = target.Sec.Sym;
                    rela.Addend -= (long)rela.Sym.Value;
                    continue;
                }
                var kind = obj.Arch.Kind(rela.Type);
                if (kind == ReferenceKind.Other) continue;
                long bias = obj.TargetOffset(sec, rela) - rela.Addend;

                symbolsBySection ??= obj.Symbols.Where(s => s.Sec != null && s.Type != SymbolType.Section)
                    .GroupBy(s => s.Sec!).ToDictionary(g => g.Key, g => g.ToList());
                if (!symbolsBySection.TryGetValue(target.Sec, out var candidates)) continue;
                long place = rela.Addend + bias;
                foreach (var sym in candidates)
                {
                    long start = (long)sym.Value, end = (long)(sym.Value + sym.Size);
                    bool pastEnd = !target.Sec.IsText && kind == ReferenceKind.Absolute
                        && rela.Addend == (long)target.Sec.Size && end == (long)target.Sec.Size;
                    // gcc may point just past the last object of a data section (a loop bound); that
                    // place belongs to the last object, which is what the reference is about.
                    if (!pastEnd && (place < start || place >= end)) continue;
                    rela.Sym = sym;
                    rela.Addend -= start;
                    break;
                }
            }
        }
    }

    /// <summary>References into string-literal sections are compared by the string, not the offset.</summary>
    private static void ResolveStrings(Obj obj)
    {
        foreach (var sec in obj.Sections)
        {
            if (!sec.IsRela || sec.IsDebug) continue;
            foreach (var rela in sec.Relas)
            {
                var target = rela.Sym?.Sec;
                if (target == null || (target.Elf.Flags & SectionFlags.Strings) == 0) continue;
                long offset = (long)rela.Sym!.Value + obj.TargetOffset(sec, rela);
                var data = target.Data;
                if (offset < 0 || offset >= data.Length) continue;
                int end = data[(int)offset..].IndexOf((byte)0);
                rela.String = System.Text.Encoding.UTF8.GetString(end < 0 ? data[(int)offset..] : data.Slice((int)offset, end));
            }
        }
    }

    /// <summary>
    /// The ftrace sites the compiler recorded in <paramref name="section"/> (__mcount_loc,
    /// __patchable_function_entries: one address per function), for functions whose site was
    /// not seen in their code.
    /// </summary>
    public static void FindRecordedTraceSites(Obj obj, string section)
    {
        foreach (var list in obj.Sections.Where(s => s.IsRela && s.Base!.Name == section))
        {
            foreach (var r in list.Relas)
            {
                if (r.Sym is { IsFunc: true } f && r.Addend >= -(long)PreEntryLimit && r.Addend < (long)Math.Max(f.Size, 1) && !f.HasFentry)
                {
                    f.HasFentry = true;
                    f.FentryOffset = r.Addend;
                }
            }
        }
    }

    /// <summary>How far before its symbol a function's ftrace site may be (aarch64 puts two nops there).</summary>
    private const ulong PreEntryLimit = 16;

    /// <summary>
    /// Static locals that must never be matched across the objects and are always new: lockdep
    /// keys, once-flags, ratelimit states, __func__, switch tables, dynamic-debug descriptors.
    /// </summary>
    public static bool IsSpecialStatic(Sym? sym)
    {
        if (sym == null) return false;
        if (IsDynamicDebug(sym)) return true;
        if (sym.Type == SymbolType.Section)
        {
            if (sym.Sec?.Sym == null) return false;
            sym = sym.Sec.Sym;
        }
        if (sym.Type != SymbolType.Object || sym.Binding != SymbolBinding.Local) return false;
        if (sym.Sec?.Name == ".data.once") return true;
        foreach (var v in SpecialStaticNames)
        {
            if (sym.Name.StartsWith(v + ".", StringComparison.Ordinal)) return true;      // gcc: __key.123
            if (sym.Name.Contains("." + v, StringComparison.Ordinal)) return true;        // clang: func.__key
        }
        return false;
    }

    private static readonly string[] SpecialStaticNames =
        ["__key", "__warned", "__already_done", "__func__", "__FUNCTION__", "_rs", "CSWTCH", "_entry"];

    public static bool IsDynamicDebug(Sym sym)
    {
        string? sec = sym.Type == SymbolType.Section ? sym.Name : sym.Type == SymbolType.Object ? sym.Sec?.Name : null;
        return sec is "__verbose" or "__dyndbg";
    }

    /// <summary>
    /// clang's anonymous constants (<c>.data..L__unnamed_N</c>, <c>.rodata..L__unnamed_N</c>: UBSAN
    /// descriptors and the type descriptors they point to): their numbers follow emission order
    /// and are not stable between builds, so they are never paired by name; they are compared by
    /// content where referenced, and a patched function carries fresh copies.
    /// </summary>
    public static bool IsAnonymousConstant(Sec? sec)
    {
        if (sec == null) return false;
        string name = sec.IsRela && sec.Base != null ? sec.Base.Name : sec.Name;
        return name.Contains("..L__unnamed_", StringComparison.Ordinal);
    }

    /// <summary>An ordinary function-level static variable, named <c>var.N</c> by the compiler.</summary>
    public static bool IsNormalStaticLocal(Sym sym) =>
        sym.Type == SymbolType.Object && sym.Binding == SymbolBinding.Local
        && !sym.Name.StartsWith(".L", StringComparison.Ordinal) && sym.Name.Contains('.')
        && !IsSpecialStatic(sym);
}
