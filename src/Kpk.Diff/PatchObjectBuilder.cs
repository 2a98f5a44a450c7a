using Kpk.Core;
using Kpk.Elf;

namespace Kpk.Diff;

/// <summary>
/// Builds the patch object from what was included: sections and symbols copied from the patched
/// object, functions made local with a global alias per replaced function, references that only
/// the livepatch core can resolve turned into <c>.klp.sym.*</c> symbols, and a fresh
/// list of ftrace sites (__mcount_loc or __patchable_function_entries) for the functions it carries.
/// </summary>
internal sealed class PatchObjectBuilder(Obj patched, DiffOptions options, IbtRules? ibt, List<string> fatal)
{
    private readonly ElfObject _out = new(ElfType.Rel, patched.Elf.Machine) { FileName = options.PatchName + ".o", Flags = patched.Elf.Flags };
    private readonly Dictionary<Sec, ElfSection> _sections = new();
    private readonly Dictionary<Sym, ElfSymbol> _symbols = new();
    private readonly Dictionary<string, ElfSymbol> _klpSymbols = new(StringComparer.Ordinal);
    private readonly List<LivepatchBinding> _bindings = new();
    private readonly List<ReplacedFunction> _functions = new();
    private readonly Dictionary<Sym, ParentSymbolTable.FileBlock> _blocks = new();

    public IReadOnlyList<LivepatchBinding> Bindings => _bindings;
    public IReadOnlyList<ReplacedFunction> Functions => _functions;

    public ElfObject Build(IEnumerable<Sym> replaced)
    {
        CopySections();
        var symtab = new ElfSection(".symtab", SectionType.SymTab) { Alignment = 8, EntrySize = 24 };
        var strtab = new ElfSection(".strtab", SectionType.StrTab) { Alignment = 1 };
        var shstrtab = new ElfSection(".shstrtab", SectionType.StrTab) { Alignment = 1 };
        symtab.Link = strtab;
        _out.Sections.Add(symtab);
        _out.Sections.Add(strtab);
        _out.Sections.Add(shstrtab);
        _out.SymbolTable = symtab;
        _out.SectionNameTable = shstrtab;

        CopySymbols();
        foreach (var fn in replaced) AddAlias(fn);
        CopyRelocations();
        AddTraceSites();
        DropUnusedUndefinedSymbols();
        return _out;
    }

    private void CopySections()
    {
        foreach (var sec in patched.Sections)
        {
            if (!sec.Include || (sec.IsDebug && !sec.IsDwarf)) continue;
            if (sec.Name is ".symtab" or ".strtab" or ".shstrtab" or ".symtab_shndx") continue;
            if (sec.Elf.Type == SectionType.Group) continue;
            var copy = new ElfSection(sec.Name, sec.Elf.Type, sec.Elf.Flags & ~SectionFlags.Group)
            {
                Address = 0,
                Alignment = sec.Elf.Alignment,
                EntrySize = sec.Elf.EntrySize,
                InfoValue = sec.Elf.InfoValue,
            };
            if (sec.Elf.Type == SectionType.NoBits) copy.Size = sec.Elf.Size;
            else copy.Data = sec.NewData ?? sec.Elf.Data;
            _sections[sec] = copy;
            _out.Sections.Add(copy);
        }
        // Links between copied sections (relocation targets, SHF_LINK_ORDER partners).
        foreach (var (sec, copy) in _sections)
        {
            if (sec.IsRela)
            {
                if (!_sections.TryGetValue(sec.Base!, out var target))
                    throw new KpkException($"internal: relocation section {sec.Name} included without {sec.Base!.Name}");
                copy.InfoSection = target;
            }
            else if (sec.Elf.Link != null && patched.SecOf.TryGetValue(sec.Elf.Link, out var linked) && _sections.TryGetValue(linked, out var linkedCopy))
            {
                copy.Link = linkedCopy;
            }
            if ((sec.Elf.Flags & SectionFlags.InfoLink) != 0 && !sec.IsRela && sec.Elf.InfoSection != null
                && patched.SecOf.TryGetValue(sec.Elf.InfoSection, out var info) && _sections.TryGetValue(info, out var infoCopy))
                copy.InfoSection = infoCopy;
        }
    }

    /// <summary>Symbols in linker order: file symbols, local functions, other locals, globals.</summary>
    private void CopySymbols()
    {
        var included = patched.Symbols.Where(s => s.Include).ToList();
        IEnumerable<Sym> ordered = included.Where(s => s.Type == SymbolType.File)
            .Concat(included.Where(s => s.IsLocal && s.IsFunc))
            .Concat(included.Where(s => s.IsLocal && !s.IsFunc && s.Type != SymbolType.File))
            .Concat(included.Where(s => !s.IsLocal));
        foreach (var sym in ordered)
        {
            if (sym.Sec != null && sym.Sec.IsDebug && !_sections.ContainsKey(sym.Sec)) continue;
            var copy = new ElfSymbol(sym.Type == SymbolType.Section ? "" : sym.Name)
            {
                Binding = sym.Binding,
                Type = sym.Type,
                Other = sym.Elf.Other,
                Value = sym.Value,
                Size = sym.Size,
            };
            if (sym.Sec != null && _sections.TryGetValue(sym.Sec, out var sec))
            {
                copy.Section = sec;
            }
            else if (sym.Sec != null)
            {
                // Defined in the original object but not carried: the running kernel's copy is used.
                if (sym.Type == SymbolType.Section) continue;
                copy.Section = null;
                copy.SpecialIndex = SpecialSection.Undef;
                copy.Value = 0;
                copy.Size = 0;
                if (copy.Binding == SymbolBinding.Local) copy.Binding = SymbolBinding.Global;
                copy.Visibility = SymbolVisibility.Default;
            }
            else
            {
                copy.SpecialIndex = sym.Elf.SpecialIndex;
            }
            _symbols[sym] = copy;
            _out.AddSymbol(copy);
        }
    }

    /// <summary>
    /// A replaced function becomes local, so nothing else in the patch module links to it by
    /// accident; the hook reaches it through a global alias named after what it replaces.
    /// </summary>
    private void AddAlias(Sym fn)
    {
        var copy = _symbols[fn];
        ulong sympos = SymposOf(fn, out bool found);
        if (!found)
        {
            fatal.Add($"function {fn.Name} is not in the symbol table of {options.ParentName} ({options.Parent.Source}); is it the right kernel?");
            return;
        }
        if (copy.Binding != SymbolBinding.Local)
        {
            _out.Symbols.Remove(copy);
            copy.Binding = SymbolBinding.Local;
            copy.Visibility = SymbolVisibility.Default;
            _out.AddSymbol(copy);
        }
        string alias = $"kpk.new.{options.ParentName}.{fn.Name}.{sympos}";
        _out.AddSymbol(new ElfSymbol(alias)
        {
            Binding = SymbolBinding.Global,
            Type = SymbolType.Func,
            Section = copy.Section,
            Value = copy.Value,
            Size = copy.Size,
        });
        _functions.Add(new ReplacedFunction(fn.Name, options.ParentName, sympos, alias));
    }

    /// <summary>The sympos of a symbol of the original object in the parent; global names are unique (0).</summary>
    private ulong SymposOf(Sym sym, out bool found)
    {
        string name = sym.Twin?.Name ?? sym.Name;
        if (!sym.IsLocal)
        {
            found = options.Parent.HasGlobal(name) || sym.Status != Status.New;
            return 0;
        }
        var block = sym.File != null ? FileBlock(sym.File) : null;
        ulong? pos = block != null ? options.Parent.LocalSympos(block, name) : options.Parent.AnyLocalSympos(name);
        found = pos != null;
        return pos ?? 0;
    }

    /// <summary>
    /// The parent's file block of one compilation unit of the object: the one whose locals
    /// include that unit's (an object made by ld -r has several units, each its own block).
    /// </summary>
    private ParentSymbolTable.FileBlock FileBlock(Sym file)
    {
        if (_blocks.TryGetValue(file, out var known)) return known;
        // Symbols of sections the linker throws away (.discard.addressable's __UNIQUE_ID_s) are in
        // the object but never in the parent's symbol table: they cannot identify the file block.
        var locals = FileLocals(file).Where(s => s.Twin != null && s.Sec != null
                && s.Type is SymbolType.Func or SymbolType.Object && !Analysis.IsSpecialStatic(s)
                && !s.Sec.Name.StartsWith(".discard", StringComparison.Ordinal))
            .Select(s => s.Twin!.Name).ToList();
        string fileName = file.Twin?.Name ?? file.Name;
        // The object's own globals help place its locals where the parent has no file symbols
        // (kallsyms); they belong to no one unit of an object that holds several (ld -r).
        bool oneUnit = patched.Symbols.Count(s => s.Type == SymbolType.File) == 1;
        var globals = oneUnit
            ? patched.Symbols.Where(s => !s.IsLocal && s.Sec != null && s.Twin != null && s.Type is SymbolType.Func or SymbolType.Object)
                .Select(s => s.Twin!.Name).ToList()
            : [];
        var block = options.Parent.FindBlock(fileName, locals, globals)
            ?? throw new KpkException($"{options.Parent.Source}: no symbols of {fileName} (the file symbol of {patched.File}) match the original object's locals; is it the right {options.ParentName}?");
        _blocks[file] = block;
        return block;
    }

    private Dictionary<Sym, List<Sym>>? _localsByFile;

    private List<Sym> FileLocals(Sym file)
    {
        if (_localsByFile == null)
        {
            _localsByFile = new Dictionary<Sym, List<Sym>>();
            foreach (var s in patched.Symbols.Where(s => s.File != null))
            {
                if (!_localsByFile.TryGetValue(s.File!, out var list)) _localsByFile[s.File!] = list = new List<Sym>();
                list.Add(s);
            }
        }
        return _localsByFile.GetValueOrDefault(file) ?? [];
    }

    private void CopyRelocations()
    {
        foreach (var (sec, copy) in _sections)
        {
            if (!sec.IsRela) continue;
            copy.Link = _out.SymbolTable;
            copy.Relocations ??= new List<ElfRelocation>();
            bool special = IsSpecialSection(sec.Base!.Name);
            foreach (var rela in sec.Relas)
            {
                if (sec.IsDwarf)
                {
                    // Debug info describes what the patch carries; what it says of the rest
                    // (functions left to the running kernel, other objects) resolves to nothing.
                    if (rela.Sym != null && _symbols.TryGetValue(rela.Sym, out var local) && local.Section != null)
                        copy.Relocations.Add(new ElfRelocation(rela.Offset, rela.Type, local, rela.Addend));
                    continue;
                }
                ElfSymbol? target = null;
                if (rela.Sym != null)
                {
                    target = Resolve(rela, sec, special);
                    if (target == null) continue;
                }
                copy.Relocations.Add(new ElfRelocation(rela.Offset, rela.Type, target, rela.Addend));
            }
        }
    }

    private static bool IsSpecialSection(string name) =>
        SpecialSectionTable.Find(name) is { Grouping: not EntryGrouping.Regenerated };

    /// <summary>
    /// The symbol a relocation of the patch refers to. Defined in the patch: itself. Otherwise a
    /// normal undefined symbol when the module loader can resolve it (exported by vmlinux, or in
    /// another object of the patch), or a livepatch symbol bound at load time by the livepatch core.
    /// </summary>
    private ElfSymbol? Resolve(Rela rela, Sec relaSec, bool special)
    {
        var sym = rela.Sym!;
        if (!_symbols.TryGetValue(sym, out var copy))
        {
            fatal.Add($"internal: relocation in {relaSec.Name} refers to {sym.Name}, which was not included");
            return null;
        }
        if (copy.Section != null)
        {
            // A pointer taken to a replaced function must keep meaning the original, which stays
            // valid after the patch module is gone.
            if (patched.Arch.TakesFunctionAddress(rela) && sym.IsFunc && sym.Parent == null && sym.Status == Status.Changed
                && rela.Addend == 0 && !sym.Name.Contains('.') && !special)
            {
                CheckIbt(relaSec, rela, sym, inPatch: false);
                return Bind(sym, SymbolType.Func, relaSec);
            }
            CheckIbt(relaSec, rela, sym, inPatch: true);
            return copy;
        }
        if (copy.SpecialIndex != SpecialSection.Undef) return copy;
        CheckIbt(relaSec, rela, sym, inPatch: false);
        string? exporter = options.Exports.ExporterOf(sym.Name);
        bool needKlp = sym.Sec != null
            // Defined in the original object but not carried: a static of the parent, or a
            // global the module loader can only resolve when vmlinux exports it.
            ? sym.IsLocal || exporter != "vmlinux"
            // An external reference: fine when vmlinux exports it; a module's symbol may load
            // after the patch; an unexported global of the parent only the livepatch core finds.
            : exporter != null ? exporter != "vmlinux" : options.Parent.HasGlobal(sym.Name);
        if (!needKlp) return copy;
        if (special && options.ParentName != "vmlinux")
        {
            fatal.Add($"{relaSec.Base!.Name} refers to {sym.Name} of module {options.ParentName}: the module's special sections are initialised before livepatch relocations apply");
            return copy;
        }
        return Bind(sym, sym.Type, relaSec);
    }

    private void CheckIbt(Sec relaSec, Rela rela, Sym target, bool inPatch) =>
        ibt?.CheckReference(patched, relaSec, rela, target, inPatch, target.IsLocal && !inPatch && target.File != null ? FileBlock(target.File) : null);

    private ElfSymbol? Bind(Sym sym, SymbolType type, Sec relaSec)
    {
        string name = sym.Twin?.Name ?? sym.Name;
        string objectName = options.ParentName;
        string? exporter = options.Exports.ExporterOf(name);
        if (!sym.IsLocal && exporter != null && exporter != "vmlinux") objectName = exporter;
        ulong sympos = SymposOf(sym, out bool found);
        if (!found && sym.IsLocal)
        {
            fatal.Add($"{Correlation.FunctionOf(relaSec)} refers to {name}, which is not in the symbol table of {options.ParentName} ({options.Parent.Source})");
            return null;
        }
        var binding = new LivepatchBinding(name, objectName, sympos);
        if (!_klpSymbols.TryGetValue(binding.KlpSymbolName, out var klp))
        {
            klp = _out.AddSymbol(new ElfSymbol(binding.KlpSymbolName)
            {
                Binding = SymbolBinding.Global,
                Type = type == SymbolType.Section ? SymbolType.NoType : type,
                SpecialIndex = SpecialSection.Undef,
            });
            _klpSymbols[binding.KlpSymbolName] = klp;
            _bindings.Add(binding);
        }
        return klp;
    }

    /// <summary>ftrace must know the new functions too, so later patches can replace them in turn.</summary>
    private void AddTraceSites()
    {
        var functions = patched.Symbols.Where(s => s.Include && s.IsFunc && s.Status != Status.Same && s.HasFentry
                                                  && _symbols.TryGetValue(s, out var c) && c.Section != null).ToList();
        if (functions.Count == 0) return;
        string name = patched.Arch.TraceSiteSection;
        var loc = new ElfSection(name, SectionType.ProgBits, SectionFlags.Alloc)
        {
            Alignment = 8,
            Data = new byte[functions.Count * 8],
        };
        var rela = new ElfSection(".rela" + name, SectionType.Rela, SectionFlags.InfoLink)
        {
            Alignment = 8,
            EntrySize = 24,
            Link = _out.SymbolTable,
            InfoSection = loc,
        };
        for (int i = 0; i < functions.Count; i++)
            rela.Relocations!.Add(new ElfRelocation((ulong)i * 8, patched.Arch.Pointer64, _symbols[functions[i]], functions[i].FentryOffset));
        int symtabAt = _out.Sections.IndexOf(_out.SymbolTable!);
        _out.Sections.Insert(symtabAt, loc);
        _out.Sections.Insert(symtabAt + 1, rela);
    }

    /// <summary>Undefined symbols no relocation uses any more (their references became livepatch symbols).</summary>
    private void DropUnusedUndefinedSymbols()
    {
        var used = new HashSet<ElfSymbol>();
        foreach (var s in _out.Sections)
            if (s.Relocations != null)
                foreach (var r in s.Relocations)
                    if (r.Symbol != null) used.Add(r.Symbol);
        _out.Symbols.RemoveAll(s => s.IsUndefined && !used.Contains(s));
    }
}
