using Kpk.Elf;

namespace Kpk.Diff;

/// <summary>
/// Chooses what goes into the patch object: the changed and new functions, whatever they need
/// that cannot be reached in the running kernel (new functions, new globals, string literals,
/// switch tables), callbacks; unchanged functions and data only as references, never bodies.
/// Then checks that nothing changed was left out, naming each change that cannot be live patched.
/// </summary>
internal sealed class Inclusion(Obj patched, List<string> fatal)
{
    public static readonly string[] CallbackKinds = ["pre_patch", "post_patch", "pre_unpatch", "post_unpatch"];

    public int ChangedFunctions { get; private set; }
    public int NewGlobals { get; private set; }
    public Dictionary<string, Sym> Callbacks { get; } = new();

    public void Run()
    {
        IncludeStandardElements();
        foreach (var sym in patched.Symbols)
        {
            if (sym.Type == SymbolType.File) sym.Include = true;
            if (sym.IsFunc && sym.Status == Status.Changed)
            {
                ChangedFunctions++;
                IncludeSymbol(sym);
            }
        }
        IncludeCallbacks();
        foreach (var sym in patched.Symbols)
        {
            if (sym.Binding == SymbolBinding.Global && sym.Sec != null && sym.Status == Status.New)
            {
                NewGlobals++;
                IncludeSymbol(sym);
            }
        }
    }

    public static void IncludeSection(Sec sec)
    {
        if (sec.Include) return;
        sec.Include = true;
        if (sec.SecSym != null) sec.SecSym.Include = true;
        if (sec.Rela == null) return;
        sec.Rela.Include = true;
        foreach (var rela in sec.Rela.Relas)
            if (rela.Sym != null) IncludeSymbol(rela.Sym);
    }

    /// <summary>
    /// A referenced symbol is kept; its body only when it changed or is new (otherwise the running
    /// kernel's copy is used), or when it is a section symbol, which cannot be resolved outside.
    /// </summary>
    public static void IncludeSymbol(Sym sym)
    {
        if (sym.Include) return;
        sym.Include = true;
        if (sym.Sec != null && (sym.Type == SymbolType.Section || sym.Status != Status.Same))
            IncludeSection(sym.Sec);
    }

    private void IncludeStandardElements()
    {
        // In an ld -r object (vmlinux.o) .rodata and the string sections are every unit's:
        // only what the carried code refers to comes along, through those references.
        bool oneUnit = patched.CompilationUnits <= 1;
        foreach (var sec in patched.Sections)
        {
            // .rodata (switch tables) and string literals are local to the functions using them.
            if (sec.Name is ".shstrtab" or ".strtab" or ".symtab" or ".note.GNU-stack"
                || (oneUnit && sec.Name == ".rodata")
                || (oneUnit && sec.Name.StartsWith(".rodata.", StringComparison.Ordinal) && sec.Name.Contains(".str1.", StringComparison.Ordinal))
                || patched.Arch.StandardSections.Contains(sec.Name))
                IncludeSection(sec);
        }
    }

    private static string? CallbackKind(string section)
    {
        foreach (var prefix in new[] { ".kpk.callbacks.", ".kpatch.callbacks.", ".rela.kpk.callbacks.", ".rela.kpatch.callbacks." })
            if (section.StartsWith(prefix, StringComparison.Ordinal))
            {
                string kind = section[prefix.Length..];
                return CallbackKinds.Contains(kind) ? kind : null;
            }
        return null;
    }

    private void IncludeCallbacks()
    {
        foreach (var sec in patched.Sections)
        {
            string? kind = CallbackKind(sec.Name);
            if (kind == null) continue;
            sec.Include = true;
            if (sec.IsRela)
            {
                var target = sec.Relas.OrderBy(r => r.Offset).FirstOrDefault()?.Sym;
                if (target == null) continue;
                Callbacks[kind] = target;
                IncludeSymbol(target);
            }
            else if (sec.SecSym != null)
            {
                sec.SecSym.Include = true;
            }
        }
        // The variables the callback macros define are scaffolding, not part of the patch.
        foreach (var sym in patched.Symbols)
            if (sym.Type == SymbolType.Object && sym.Sec != null && CallbackKind(sym.Sec.Name) != null)
                sym.Include = false;
    }

    public bool HasCallbacks => Callbacks.Count > 0;

    /// <summary>
    /// The DWARF sections, whole, with their relocations; unlike other inclusion this pulls in
    /// nothing they refer to: the patch object builder keeps only the relocations that land in
    /// what the patch carries anyway, so debug info never adds code, data or bindings.
    /// </summary>
    public void IncludeDebugInfo()
    {
        foreach (var sec in patched.Sections)
        {
            // Grouped debug sections (-g3 macro info) would bring their COMDAT group; left out.
            if (!sec.IsDwarf || sec.Grouped || (sec.IsRela && sec.Base!.Grouped)) continue;
            sec.Include = true;
            if (sec.SecSym != null) sec.SecSym.Include = true;
        }
    }

    /// <summary>Every change must be in the patch, and some changes cannot be patched at all.</summary>
    public void Verify()
    {
        foreach (var sym in patched.Symbols)
        {
            // Mapping symbols ($x, $d) of what is carried keep telling disassemblers code from data.
            if (patched.Arch.IsMappingSymbol(sym) && sym.Sec is { Include: true }) sym.Include = true;
            if (sym.IsFunc && sym.Status == Status.Changed && sym.Include)
                fatal.AddRange(patched.Arch.CheckChangedFunction(patched, sym));
        }
        var explained = new HashSet<Sec>();
        foreach (var sec in patched.Sections)
        {
            if (sec.IsDebug) continue;
            // A section and its relocations changed together are one reason, told once.
            if (sec.Status == Status.Changed && !sec.Include && explained.Add(sec.IsRela ? sec.Base! : sec))
                fatal.Add(ExplainExcluded(sec));
            if (sec.Status != Status.Same && sec.Grouped)
                fatal.Add($"section {sec.Name} changed but belongs to a section group (COMDAT); changed groups cannot be live patched");
            if (sec.Elf.Type == SectionType.Group && sec.Status == Status.New)
                fatal.Add($"section group {sec.Name} is new or changed; changed groups cannot be live patched");
            if (sec.Include && sec.Status != Status.New && !sec.IsRela
                && (sec.Name.StartsWith(".data", StringComparison.Ordinal) || sec.Name.StartsWith(".bss", StringComparison.Ordinal))
                && sec.Name is not (".data.unlikely" or ".data.once") && !Comparison.IsUbsanData(sec.Name))
                fatal.Add($"data section {sec.Name} would have to be replaced: {Describe(sec)} is existing data, which a live patch cannot change");
        }
    }

    private static string Describe(Sec sec)
    {
        var b = sec.IsRela ? sec.Base! : sec;
        return b.Sym != null ? $"variable {b.Sym.Name}" : $"section {b.Name}";
    }

    private string ExplainExcluded(Sec sec)
    {
        var b = sec.IsRela ? sec.Base! : sec;
        string n = b.Name;
        if (n.StartsWith(".init", StringComparison.Ordinal) || n.StartsWith(".exit", StringComparison.Ordinal) || n.Contains(".init.", StringComparison.Ordinal))
        {
            // __init functions share one section, so name what it holds: that is what the user edited.
            var held = patched.Symbols.Where(y => y.Sec == b && y.Type is SymbolType.Func or SymbolType.Object).Select(y => y.Name).ToList();
            string what = held.Count > 0 ? $" (holding {string.Join(", ", held)})" : "";
            return $"section {n}{what} changed: __init/__exit code and data run only at boot or unload and cannot be live patched";
        }
        if (n.StartsWith(".data", StringComparison.Ordinal) || n.StartsWith(".bss", StringComparison.Ordinal) || n.StartsWith(".rodata", StringComparison.Ordinal))
            return $"section {sec.Name} changed: the initial value of existing data ({Describe(sec)}) cannot be changed by a live patch";
        return $"section {sec.Name} changed but nothing in the patch uses it, so the change cannot be carried";
    }
}
