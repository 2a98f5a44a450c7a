using Kpk.Core;
using Kpk.Elf;

namespace Kpk.Diff;

/// <summary>
/// The symbol table of the ELF a patch binds to (vmlinux, a module, or in tests the original
/// object itself), arranged for the questions livepatch binding asks: does a global exist, and
/// which of several same-named local symbols is meant. Locals are grouped in the "file blocks"
/// that follow each STT_FILE symbol; a changed object's locals are found by matching its own
/// locals against those blocks, and a local's position among all same-named locals is the
/// <c>sympos</c> the livepatch core uses to tell them apart.
/// </summary>
public sealed class ParentSymbolTable
{
    public sealed record Entry(string Name, SymbolType Type, SymbolBinding Binding, ulong Value, ulong Size, int Block);

    /// <summary>Locals following one STT_FILE symbol.</summary>
    public sealed record FileBlock(int Id, string File, IReadOnlyList<Entry> Locals);

    private readonly Dictionary<string, List<Entry>> _localsByName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Entry> _globals = new(StringComparer.Ordinal);
    private readonly List<FileBlock> _blocks = new();

    public string Source { get; }
    public IReadOnlyList<FileBlock> Blocks => _blocks;

    private ParentSymbolTable(string source) => Source = source;

    /// <summary>Reads the symbol table of an ELF file; memory-mapped, so a large vmlinux loads quickly.</summary>
    public static ParentSymbolTable Load(string path)
    {
        using var image = ElfImage.Open(path);
        int symtab = image.FindSection(SectionType.SymTab);
        if (symtab < 0) throw new KpkException($"{path}: has no symbol table (was it stripped?)");
        int strtab = (int)image.Sections[symtab].Link;
        var table = new ParentSymbolTable(path);
        var raw = image.ReadSymbols(symtab);
        int block = -1;
        List<Entry>? current = null;
        for (int i = 1; i < raw.Length; i++)
        {
            var r = raw[i];
            if (r.Type == SymbolType.File)
            {
                current = new List<Entry>();
                block = table._blocks.Count;
                table._blocks.Add(new FileBlock(block, image.ReadString(strtab, r.NameOffset), current));
                continue;
            }
            if (r.Type is SymbolType.Section) continue;
            string name = image.ReadString(strtab, r.NameOffset);
            if (name.Length == 0) continue;
            var entry = new Entry(name, r.Type, r.Binding, r.Value, r.Size, block);
            if (r.Binding == SymbolBinding.Local)
            {
                if (r.Type is not (SymbolType.Func or SymbolType.Object)) continue;
                current?.Add(entry);
                if (!table._localsByName.TryGetValue(name, out var list)) table._localsByName[name] = list = new List<Entry>();
                list.Add(entry);
            }
            else if (!r.IsSpecial || r.Shndx is SpecialSection.Abs or SpecialSection.Common)
            {
                table._globals.TryAdd(name, entry);
            }
        }
        if (image.Type == ElfType.Exec)
        {
            // The livepatch core counts same-named symbols in kallsyms order, which for vmlinux
            // is address order (for a module it is the module's own symbol-table order).
            foreach (var list in table._localsByName.Values)
                if (list.Count > 1) list.Sort((a, b) => a.Value.CompareTo(b.Value));
        }
        return table;
    }

    /// <summary>Whether the parent defines a global (or weak) symbol of that name.</summary>
    public bool HasGlobal(string name) => _globals.ContainsKey(name);

    public bool HasLocal(string name) => _localsByName.ContainsKey(name);

    /// <summary>
    /// The file block that holds the given object's locals: the block of the same file name whose
    /// locals include every one of <paramref name="objectLocals"/>. Compiler-numbered names
    /// (<c>x.isra.0</c>, <c>__key.5</c>) are compared without their numbers.
    /// </summary>
    public FileBlock? FindBlock(string fileName, IReadOnlyCollection<string> objectLocals)
    {
        FileBlock? found = null;
        var wanted = objectLocals.Select(Mangling.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var block in _blocks)
        {
            if (block.File != fileName) continue;
            var have = block.Locals.Select(l => Mangling.Key(l.Name)).ToHashSet(StringComparer.Ordinal);
            if (!wanted.IsSubsetOf(have)) continue;
            if (found != null)
                throw new KpkException($"{Source}: two file blocks for {fileName} match the object's local symbols; cannot tell which one is meant");
            found = block;
        }
        return found;
    }

    /// <summary>
    /// The livepatch sympos of local <paramref name="name"/> in <paramref name="block"/>: 0 when
    /// the name is unique in the whole table, else its 1-based position among same-named locals.
    /// Returns null when the block has no such local.
    /// </summary>
    public ulong? LocalSympos(FileBlock block, string name)
    {
        if (!_localsByName.TryGetValue(name, out var all)) return null;
        int index = all.FindIndex(e => e.Block == block.Id);
        if (index < 0) return null;
        return all.Count == 1 ? 0UL : (ulong)(index + 1);
    }

    /// <summary>The sympos of a unique-or-first local anywhere in the table, for objects without a file symbol.</summary>
    public ulong? AnyLocalSympos(string name) =>
        _localsByName.TryGetValue(name, out var all) ? (all.Count == 1 ? 0UL : null) : null;
}
