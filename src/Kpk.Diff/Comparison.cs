using Kpk.Elf;

namespace Kpk.Diff;

/// <summary>
/// Decides, for every section and symbol of the patched object, whether it is the same as its
/// twin, changed, or new. Code is compared together with its relocations (by the symbol and
/// string they mean, not by numbers that shift), and a change that only moves a __LINE__ number
/// passed to WARN/BUG/might_sleep/printk is not a change.
/// </summary>
internal sealed class Comparison(Obj orig, Obj patched, List<string> fatal, List<string> warnings)
{
    public void Run()
    {
        MarkIgnored(patched);
        foreach (var sec in patched.Sections)
        {
            if (sec.Twin != null) CompareSection(sec);
            else sec.Status = Status.New;
        }
        foreach (var sec in patched.Sections)
        {
            if (sec.Status == Status.Changed && LineNumberChangeOnly(sec)) sec.Status = Status.Same;
            // UBSAN call-site descriptors hold source line numbers, which move with any edit
            // above them. Only the UBSAN handler reads them, to report where: the running kernel
            // keeps its copy, and a patched function that uses one carries its own.
            if (sec.Status == Status.Changed && IsUbsanData(sec.IsRela ? sec.Base!.Name : sec.Name)) sec.Status = Status.Same;
        }

        foreach (var sec in patched.Sections)
        {
            if (sec.IsRela)
            {
                var sym = sec.Base?.Sym;
                if (sym != null && sym.Status != Status.Changed) sym.Status = sec.Status;
            }
            else if (sec.Sym != null)
            {
                var sym = sec.Sym;
                if (sym.Status != Status.Changed) sym.Status = sec.Status;
            }
        }
        // After every section and its relocations have spoken: a .cold child whose code or
        // relocations changed (often only a string it prints) makes its parent changed.
        foreach (var sym in patched.Symbols)
            if (sym.IsFunc && sym.Status == Status.Same && ChangedChildNeedsParent(sym)) sym.Status = Status.Changed;
        foreach (var sym in patched.Symbols)
        {
            if (sym.Twin != null) CompareSymbol(sym);
            else sym.Status = Status.New;
        }
        IgnoreMarkedFunctions();
        foreach (var sec in patched.Sections.Where(s => s.Ignore))
        {
            sec.Status = Status.Same;
            if (sec.SecSym != null) sec.SecSym.Status = Status.Same;
            if (sec.Rela != null) sec.Rela.Status = Status.Same;
            foreach (var sym in patched.Symbols.Where(y => y.Sec == sec)) sym.Status = Status.Same;
        }
        CheckFentry();
    }

    /// <summary>
    /// Sections whose changes never matter: those the kernel discards at link time (.discard.*),
    /// and those the patch author named with KPK_IGNORE_SECTION (or kpatch's KPATCH_IGNORE_SECTION),
    /// which record the section name as a string in .kpk.ignore.sections.
    /// </summary>
    private void MarkIgnored(Obj obj)
    {
        foreach (var sec in obj.Sections)
        {
            if (sec.Name.StartsWith(".discard", StringComparison.Ordinal) || sec.Name.StartsWith(".rela.discard", StringComparison.Ordinal))
            {
                sec.Ignore = true;
                if (sec.Twin != null) sec.Twin.Ignore = true;
            }
        }
        foreach (var list in new[] { ".kpk.ignore.sections", ".kpatch.ignore.sections" })
        {
            var rela = obj.FindSection(list)?.Rela;
            if (rela == null) continue;
            foreach (var r in rela.Relas)
            {
                if (r.String == null || r.Sym?.Sec == null) continue;
                // The literal naming the section is itself a change to a string section; carry it.
                r.Sym.Sec.Status = Status.Changed;
                Inclusion.IncludeSection(r.Sym.Sec);
                var ignored = obj.FindSection(r.String);
                if (ignored == null)
                {
                    fatal.Add($"{list}: no section named {r.String} to ignore");
                    continue;
                }
                if (ignored.IsRela) ignored = ignored.Base!;
                ignored.Ignore = true;
                if (ignored.Twin != null) ignored.Twin.Ignore = true;
            }
        }
    }

    /// <summary>Functions the patch author marked with KPK_IGNORE_FUNCTION: their changes are deliberate and not patched.</summary>
    private void IgnoreMarkedFunctions()
    {
        foreach (var list in new[] { ".kpk.ignore.functions", ".kpatch.ignore.functions" })
        {
            var rela = patched.FindSection(list)?.Rela;
            if (rela == null) continue;
            foreach (var r in rela.Relas)
            {
                if (r.Sym is not { IsFunc: true, Sec: not null } fn)
                {
                    fatal.Add($"{list}: entry {r.Offset / 8} does not name a function defined in this object");
                    continue;
                }
                MarkSame(fn);
            }
        }
        // kpatch's KPATCH_FORCE_UNSAFE skipped the activeness check of its old core module; the
        // kernel's livepatch has no such thing per function, so it is only reported.
        foreach (var r in patched.FindSection(".kpatch.force")?.Rela?.Relas ?? [])
            warnings.Add($"KPATCH_FORCE_UNSAFE({r.Sym?.Name}) has no effect: the kernel's livepatch cannot skip the consistency model for one function (kpk apply --force forces a whole transition)");
        // The markers' own symbols are scaffolding, not new globals of the patch.
        foreach (var sym in patched.Symbols)
            if (sym.Name.StartsWith("__kpatch_ignore_func_", StringComparison.Ordinal) || sym.Name.StartsWith("__kpk_ignore_func_", StringComparison.Ordinal)
                || sym.Name.StartsWith("__kpatch_force_func_", StringComparison.Ordinal)
                || sym.Name.StartsWith("__UNIQUE_ID_kpatch_ignore_section_", StringComparison.Ordinal) || sym.Name.StartsWith("__UNIQUE_ID_kpk_ignore_section_", StringComparison.Ordinal))
                sym.Status = Status.Same;
    }

    private static void MarkSame(Sym fn)
    {
        fn.Status = Status.Same;
        fn.Sec!.Status = Status.Same;
        if (fn.Sec.SecSym != null) fn.Sec.SecSym.Status = Status.Same;
        if (fn.Sec.Rela != null) fn.Sec.Rela.Status = Status.Same;
        foreach (var child in fn.Children) if (child.Sec != null) MarkSame(child);
    }

    private void CompareSection(Sec sec)
    {
        var twin = sec.Twin!;
        var a = sec.Elf;
        var b = twin.Elf;
        if (a.Type != b.Type || a.Flags != b.Flags || a.EntrySize != b.EntrySize || (a.Alignment != b.Alignment && !sec.IsText))
        {
            fatal.Add($"section {sec.Name}: its header (type, flags, entry size or alignment) differs between the objects");
            sec.Status = Status.Changed;
            return;
        }
        // Rebuilt for the patch whatever they hold.
        if (SpecialSectionTable.Find(sec.IsRela ? sec.Base!.Name : sec.Name) is { Grouping: EntryGrouping.Regenerated })
        {
            sec.Status = Status.Same;
            return;
        }
        if (a.Size != b.Size)
        {
            sec.Status = Status.Changed;
            return;
        }
        if (sec.IsRela) sec.Status = RelocationsEqual(sec, twin) ? Status.Same : Status.Changed;
        else if (a.Type == SectionType.NoBits) sec.Status = Status.Same;
        else sec.Status = sec.Data.SequenceEqual(twin.Data) ? Status.Same : Status.Changed;
    }

    private static bool RelocationsEqual(Sec sec, Sec twin)
    {
        if (sec.Relas.Count != twin.Relas.Count) return false;
        for (int i = 0; i < sec.Relas.Count; i++)
            if (!RelaEqual(sec.Relas[i], twin.Relas[i])) return false;
        return true;
    }

    public static bool IsUbsanData(string name) =>
        name.StartsWith(".data..Lubsan", StringComparison.Ordinal) || name.StartsWith(".data.rel.local..Lubsan", StringComparison.Ordinal);

    public static bool RelaEqual(Rela a, Rela b) => a.Type == b.Type && a.Offset == b.Offset && SameTarget(a, b);

    /// <summary>Whether two references mean the same thing: the same symbol (numbers aside), place in it, or string.</summary>
    private static bool SameTarget(Rela a, Rela b, int depth = 0)
    {
        // Through a table of addresses (ppc64le's .toc): what the table entries mean, not their positions.
        if (a.Via != null || b.Via != null) return a.Via != null && b.Via != null && SameTarget(a.Via, b.Via, depth);
        if (a.ViaConstant != null || b.ViaConstant != null) return a.ViaConstant == b.ViaConstant;
        if (a.Sym == null || b.Sym == null) return a.Sym == b.Sym && a.Addend == b.Addend;
        if (Analysis.IsAnonymousConstant(a.Sym.Sec) || Analysis.IsAnonymousConstant(b.Sym.Sec))
            return a.Addend == b.Addend && a.Sym.Value == b.Sym.Value && SameContent(a.Sym.Sec!, b.Sym.Sec, depth);
        // .altinstr_aux holds code inert in modules; where exactly a reference points in it is irrelevant.
        if (a.Sym.Name == ".altinstr_aux" && b.Sym.Name == ".altinstr_aux") return true;
        if (a.String != null) return b.String != null && a.String == b.String;
        if (a.Addend != b.Addend) return false;
        return Mangling.SameIgnoringNumbers(a.Sym.Name, b.Sym.Name);
    }

    /// <summary>Anonymous constants are the same when their bytes and what they refer to are (they nest a few levels at most).</summary>
    private static bool SameContent(Sec a, Sec? b, int depth)
    {
        if (b == null || !Analysis.IsAnonymousConstant(a) || !Analysis.IsAnonymousConstant(b) || depth > 8) return false;
        if (!a.Data.SequenceEqual(b.Data)) return false;
        var ra = a.Rela?.Relas ?? [];
        var rb = b.Rela?.Relas ?? [];
        if (ra.Count != rb.Count) return false;
        for (int i = 0; i < ra.Count; i++)
            if (ra[i].Type != rb[i].Type || ra[i].Offset != rb[i].Offset || !SameTarget(ra[i], rb[i], depth + 1)) return false;
        return true;
    }

    private static readonly string[] LineNumberConsumers =
    [
        "__warn_printk", "__might_sleep", "___might_sleep", "__might_fault", "__might_resched", "printk", "_printk",
        "lockdep_rcu_suspicious", "__btrfs_abort_transaction", "__btrfs_handle_fs_error", "__btrfs_std_error",
    ];

    /// <summary>
    /// True when the code differs only in instructions that load a line number (an immediate
    /// moved to an argument register; see <see cref="Architecture.LoadsLineNumber"/>) ahead of a
    /// call to a WARN/might_sleep/printk-style helper.
    /// </summary>
    private bool LineNumberChangeOnly(Sec sec)
    {
        if (sec.IsRela || !sec.IsText || sec.Size != sec.Twin!.Size || sec.Rela == null || sec.Rela.Status != Status.Same)
            return false;
        var mine = patched.Instructions.For(sec);
        var theirs = orig.Instructions.For(sec.Twin);
        if (mine.Count != theirs.Count) return false;
        var newData = sec.Data;
        var oldData = sec.Twin.Data;
        bool lineOnly = false;
        for (int i = 0; i < mine.Count; i++)
        {
            ulong start = mine.Start(i), end = mine.End(i);
            if (start != theirs.Start(i) || end != theirs.End(i)) return false;
            var x = newData[(int)start..(int)end];
            var y = oldData[(int)start..(int)end];
            if (x.SequenceEqual(y)) continue;
            if (!patched.Arch.LoadsLineNumber(x) || !patched.Arch.LoadsLineNumber(y)) return false;
            if (!CallsLineNumberConsumerAfter(sec.Rela, end)) return false;
            lineOnly = true;
        }
        return lineOnly;
    }

    private static bool CallsLineNumberConsumerAfter(Sec rela, ulong end)
    {
        foreach (var r in rela.Relas.Where(r => r.Offset >= end).OrderBy(r => r.Offset))
        {
            // Arguments: strings, and loads through the TOC (ppc64le) of the format and file name.
            if (r.String != null || r.Sym == null || r.Via != null || r.ViaConstant != null) continue;
            string name = r.Sym.Name;
            if (name.StartsWith("__warned.", StringComparison.Ordinal) || name.StartsWith("__already_done.", StringComparison.Ordinal)
                || name.StartsWith("__func__.", StringComparison.Ordinal)) continue;
            return name.StartsWith("warn_slowpath_", StringComparison.Ordinal) || LineNumberConsumers.Contains(name);
        }
        return false;
    }

    /// <summary>
    /// A .cold child has no ftrace call of its own: when it changed, its parent must be
    /// replaced (through the parent's ftrace call) for the new child to be reached.
    /// </summary>
    private static bool ChangedChildNeedsParent(Sym sym)
    {
        foreach (var child in sym.Children)
        {
            if (child.HasFentry) continue;
            if (child.Status == Status.Changed || child.Sec?.Status == Status.Changed || child.Sec?.Rela?.Status == Status.Changed
                || ChangedChildNeedsParent(child)) return true;
        }
        return false;
    }

    private static bool IsData(string section) =>
        section.StartsWith(".data", StringComparison.Ordinal) || section.StartsWith(".bss", StringComparison.Ordinal);

    private static bool SubsectionChanged(Sec a, Sec b) => Subsection(a) != Subsection(b);

    private static int Subsection(Sec s) =>
        s.Name.StartsWith(".text.unlikely.", StringComparison.Ordinal) ? 2 : s.Name.StartsWith(".text.hot.", StringComparison.Ordinal) ? 1 : 0;

    private void CompareSymbol(Sym sym)
    {
        var twin = sym.Twin!;
        if (sym.Elf.Binding != twin.Elf.Binding || sym.Elf.Type != twin.Elf.Type || (sym.Sec == null) != (twin.Sec == null))
        {
            fatal.Add($"symbol {sym.Name} changed its binding, type or definedness ({twin.Elf.Binding} {twin.Elf.Type} → {sym.Elf.Binding} {sym.Elf.Type})");
            return;
        }
        if (sym.Sec != null && twin.Sec != null && sym.Sec.Twin != twin.Sec)
        {
            if ((twin.Sec.Twin?.Ignore ?? false) || SubsectionChanged(sym.Sec, twin.Sec)) sym.Status = Status.Changed;
            else if (sym.Type == SymbolType.Object && IsData(twin.Sec.Name) && IsData(sym.Sec.Name))
                fatal.Add($"variable {sym.Name}: its initial value changed (it moved from {twin.Sec.Name} to {sym.Sec.Name}); the data of an existing variable cannot be changed by a live patch");
            else fatal.Add($"symbol {sym.Name} moved from section {twin.Sec.Name} to {sym.Sec.Name}");
        }
        if (sym.Type == SymbolType.Object && sym.Size != twin.Size)
            fatal.Add($"variable {sym.Name} changed size from {twin.Size} to {sym.Size} bytes: existing data cannot be resized by a live patch");
        if (sym.Sec == null) sym.Status = Status.Same;
    }

    private void CheckFentry()
    {
        foreach (var sym in patched.Symbols)
        {
            if (!sym.IsFunc || sym.Status != Status.Changed || sym.Parent?.Status == Status.Changed) continue;
            if (!(sym.Twin?.HasFentry ?? sym.HasFentry))
                fatal.Add($"function {sym.Name} changed but has no ftrace entry (__fentry__ call): the livepatch core cannot redirect it (notrace, or built without ftrace?)");
        }
    }
}
