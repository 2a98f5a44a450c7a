using Kpk.Elf;

namespace Kpk.Diff;

/// <summary>
/// Pairs each section and symbol of the original object with its twin in the patched one. Names
/// are matched without compiler-made numbers; a patched twin takes its original's name, which is
/// the name the running kernel knows. Candidates are found through a hash of the number-free
/// name, so the cost grows with the number of sections, not its square.
/// </summary>
internal sealed class Correlation(Obj orig, Obj patched, List<string> warnings)
{
    public void Run()
    {
        CorrelateSections();
        CorrelateSymbols();
        CorrelateStaticLocals();
    }

    private void CorrelateSections()
    {
        // Sections no one symbol owns pair by exact name first: an ld -r object holds many whose
        // names differ only in a number (.rodata.__func__.33, .rodata.__func__.34), each merged
        // from several units. (A function's own section pairs by its number-free name, in order:
        // gcc renumbers .constprop.N clones.)
        var exact = new Dictionary<string, List<Sec>>(StringComparer.Ordinal);
        foreach (var p in patched.Sections.Where(Unowned))
        {
            if (!exact.TryGetValue(p.Name, out var same)) exact[p.Name] = same = new List<Sec>(1);
            same.Add(p);
        }
        PairSections(name => exact.GetValueOrDefault(name), Unowned);
        var candidates = Index(patched.Sections, s => s.Name);
        PairSections(name => candidates.GetValueOrDefault(Mangling.Key(name)), _ => true);
    }

    private static bool Unowned(Sec s) => (s.IsRela ? s.Base! : s).Sym == null;

    private void PairSections(Func<string, List<Sec>?> candidatesFor, Func<Sec, bool> which)
    {
        foreach (var o in orig.Sections)
        {
            if (o.Twin != null || !which(o)) continue;
            if (candidatesFor(o.Name) is not { } list) continue;
            foreach (var p in list)
            {
                if (p.Twin != null) continue;
                if (Analysis.IsSpecialStatic(o.IsRela ? o.Base!.SecSym : o.SecSym)) continue;
                if (Analysis.IsAnonymousConstant(o)) continue;
                // Group sections must match exactly to be paired; changed groups are not supported.
                if (o.Elf.Type == SectionType.Group && !o.Data.SequenceEqual(p.Data)) continue;
                PairSection(o, p);
                break;
            }
        }
    }

    private void CorrelateSymbols()
    {
        var candidates = Index(patched.Symbols, s => s.Name);
        foreach (var o in orig.Symbols)
        {
            if (o.Twin != null) continue;
            if (Analysis.IsSpecialStatic(o)) continue;
            // .LCn labels point at strings (mostly for the bug table); their numbers mean nothing.
            if (o.Type == SymbolType.NoType && o.Name.StartsWith(".LC", StringComparison.Ordinal)) continue;
            // Mapping symbols share a few names across every section: they say nothing about twins.
            if (orig.Arch.IsMappingSymbol(o)) continue;
            if (o.Type == SymbolType.Section && Analysis.IsAnonymousConstant(o.Sec)) continue;
            if (!candidates.TryGetValue(Mangling.Key(o.Name), out var list)) continue;
            foreach (var p in list)
            {
                if (p.Twin != null || p.Type != o.Type) continue;
                if (o.Sec is { Elf.Type: SectionType.Group } && o.Sec.Twin != p.Sec) continue;
                // A local pairs with the same-named local of the same compilation unit (ld -r objects hold several).
                if (o.File != null && p.File != null && o.File.Name != p.File.Name) continue;
                PairSymbol(o, p);
                break;
            }
        }
    }

    private static Dictionary<string, List<T>> Index<T>(List<T> items, Func<T, string> name)
    {
        var index = new Dictionary<string, List<T>>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            string key = Mangling.Key(name(item));
            if (!index.TryGetValue(key, out var list)) index[key] = list = new List<T>();
            list.Add(item);
        }
        return index;
    }

    private static void PairSection(Sec o, Sec p)
    {
        Twin(o, p);
        if (o.IsRela)
        {
            Twin(o.Base!, p.Base!);
            o = o.Base!;
            p = p.Base!;
        }
        else if (o.Rela != null && p.Rela != null)
        {
            Twin(o.Rela, p.Rela);
        }
        if (o.SecSym != null && p.SecSym != null) PairSymbol(o.SecSym, p.SecSym);
        if (o.Sym != null && p.Sym != null) PairSymbol(o.Sym, p.Sym);
    }

    private static void Twin(Sec o, Sec p)
    {
        o.Twin = p;
        p.Twin = o;
        o.Status = p.Status = Status.Same;
    }

    private static void PairSymbol(Sym o, Sym p)
    {
        o.Twin = p;
        p.Twin = o;
        o.Status = p.Status = Status.Same;
        p.Name = o.Name;
    }

    private static void Unpair(Sec s)
    {
        if (s.Twin != null) s.Twin.Twin = null;
        s.Twin = null;
    }

    private static void Unpair(Sym s)
    {
        if (s.Twin != null) s.Twin.Twin = null;
        s.Twin = null;
    }

    /// <summary>
    /// Static locals are renamed <c>var.N</c> with numbers that change arbitrarily, and two with
    /// the same name can exist; so they are paired by the functions that use them: a reference
    /// from a section of the original must have a matching reference from the section's twin.
    /// </summary>
    private void CorrelateStaticLocals()
    {
        // Undo name-based pairings of static locals: equal numbers may be a coincidence.
        foreach (var sym in orig.Symbols)
        {
            if (!Analysis.IsNormalStaticLocal(sym)) continue;
            if (sym.Twin != null) Unpair(sym);
            bool bundled = sym.Sec?.Sym == sym;
            if (bundled && sym.Sec!.Twin != null)
            {
                Unpair(sym.Sec);
                if (sym.Sec.SecSym != null) Unpair(sym.Sec.SecSym);
                if (sym.Sec.Rela != null) Unpair(sym.Sec.Rela);
            }
        }

        foreach (var sec in orig.Sections)
        {
            if (!sec.IsRela || sec.IsDebug) continue;
            foreach (var rela in sec.Relas)
            {
                var sym = rela.Sym;
                if (sym == null || !Analysis.IsNormalStaticLocal(sym) || sym.Twin != null) continue;
                bool bundled = sym.Sec?.Sym == sym;
                // A static structure referring to itself cannot be paired through that reference.
                if (bundled && sym.Sec == sec.Base) continue;
                var twin = FindStaticTwin(sec, sym)
                    ?? throw new UnsupportedChangeException([$"the reference to static local variable {sym.Name} in {FunctionOf(sec)} was removed: its state cannot be carried over"]);
                bool twinBundled = twin.Sec?.Sym == twin;
                if (bundled != twinBundled)
                    throw new UnsupportedChangeException([$"static local variable {sym.Name} changed how it is laid out (own section or shared)"]);
                if (!bundled && sym.Sec?.Twin != twin.Sec)
                    throw new UnsupportedChangeException([$"static local variable {sym.Name} moved from section {sym.Sec?.Name} to {twin.Sec?.Name}"]);
                PairSymbol(sym, twin);
                if (bundled) PairSection(sym.Sec!, twin.Sec!);
            }
        }

        // Every reference to a static local in the original must still be there in the patch.
        foreach (var sec in orig.Sections)
        {
            if (!sec.IsRela || sec.IsDebug) continue;
            foreach (var rela in sec.Relas)
            {
                var sym = rela.Sym;
                if (sym == null || !Analysis.IsNormalStaticLocal(sym)) continue;
                var target = sec;
                if (sec.Twin == null && sec.Base?.Sym != null)
                {
                    var parent = CorrelatedParent(sec.Base.Sym);
                    if (parent?.Sec?.Rela != null) target = parent.Sec.Rela;
                }
                if (sym.Twin == null || target.Twin == null)
                    throw new UnsupportedChangeException([$"the reference to static local variable {sym.Name} in {FunctionOf(target)} was removed: its state cannot be carried over"]);
                if (FindTwinReference(target.Twin, sym) == null)
                    throw new UnsupportedChangeException([$"static local variable {sym.Name} is used by {FunctionOf(target)} in the original but no longer in the patched object"]);
            }
        }

        foreach (var sec in patched.Sections)
        {
            if (!sec.IsRela || sec.IsDebug) continue;
            foreach (var rela in sec.Relas)
            {
                if (rela.Sym == null || !Analysis.IsNormalStaticLocal(rela.Sym) || rela.Sym.Twin != null) continue;
                warnings.Add($"static local variable {rela.Sym.Name} used by {FunctionOf(sec)} has no counterpart in the original; treating it as new");
                return;
            }
        }
    }

    private static Sym? CorrelatedParent(Sym sym)
    {
        while (sym.Parent != null && sym.Parent.Twin == null) sym = sym.Parent;
        return sym.Parent;
    }

    private static Sym? FindStaticTwin(Sec sec, Sym sym)
    {
        if (sec.Twin == null && sec.Base?.Sym != null)
        {
            // The reference may have been in a .part. function that the patch no longer has.
            var parent = CorrelatedParent(sec.Base.Sym);
            if (parent?.Sec?.Rela != null) sec = parent.Sec.Rela;
        }
        if (sec.Twin == null) return null;
        return FindUncorrelatedReference(sec.Twin, sym)
            ?? (sec.Twin.Base?.Sym != null ? FindStaticTwinInChildren(sec.Twin.Base.Sym, sym) : null);
    }

    private static Sym? FindUncorrelatedReference(Sec relaSec, Sym sym)
    {
        foreach (var rela in relaSec.Relas)
        {
            var p = rela.Sym;
            if (p == null || p.Twin != null || p.Type != sym.Type) continue;
            if (sym.Type == SymbolType.Object && p.Size != sym.Size) continue;
            if (!Mangling.SameIgnoringNumbers(p.Name, sym.Name)) continue;
            return p;
        }
        return null;
    }

    private static Sym? FindStaticTwinInChildren(Sym parent, Sym sym)
    {
        foreach (var child in parent.Children)
        {
            if (child.Sec?.Rela == null || child.Sec.Rela == parent.Sec?.Rela) continue;
            var found = FindUncorrelatedReference(child.Sec.Rela, sym) ?? FindStaticTwinInChildren(child, sym);
            if (found != null) return found;
        }
        return null;
    }

    private static Rela? FindTwinReference(Sec relaSec, Sym sym)
    {
        foreach (var rela in relaSec.Relas)
            if (rela.Sym == sym.Twin) return rela;
        var parent = relaSec.Base?.Sym;
        if (parent == null) return null;
        foreach (var child in parent.Children)
        {
            if (child.Sec?.Rela == null || child.Sec.Rela == parent.Sec?.Rela) continue;
            var found = FindTwinReference(child.Sec.Rela, sym);
            if (found != null) return found;
        }
        return null;
    }

    public static string FunctionOf(Sec sec)
    {
        var b = sec.IsRela ? sec.Base! : sec;
        return b.Sym?.Name ?? b.Name;
    }
}
