using System.Buffers.Binary;
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

    /// <summary>
    /// Locals following one STT_FILE symbol. From kallsyms, which has no file symbols, a block is
    /// made for one object and <see cref="Pick"/> chooses among same-named locals when asked.
    /// </summary>
    public sealed record FileBlock(int Id, string File, IReadOnlyList<Entry> Locals)
    {
        internal Func<string, Entry?>? Pick { get; init; }
    }

    private readonly Dictionary<string, List<Entry>> _localsByName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Entry> _globals = new(StringComparer.Ordinal);
    private readonly List<FileBlock> _blocks = new();
    private readonly HashSet<Entry> _sealed = new();

    public string Source { get; }
    public IReadOnlyList<FileBlock> Blocks => _blocks;

    /// <summary>
    /// Whether the parent carries objtool's IBT seal list (<c>.ibt_endbr_seal</c>): the ENDBR
    /// instructions of functions whose address is never taken, which the kernel turns into NOPs
    /// (apply_seal_endbr) at boot or module load. Without it, <see cref="IsSealed"/> cannot answer.
    /// </summary>
    public bool HasSealList { get; private set; }

    /// <summary>Read from a copy of /proc/kallsyms: no sizes, no file symbols, entries in address order.</summary>
    public bool FromKallsyms { get; private init; }
    private readonly List<Entry> _ordered = new();
    private readonly Dictionary<Entry, int> _position = new(ReferenceEqualityComparer.Instance);

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
        var seals = SealedPlaces(image, symtab, raw);
        table.HasSealList = seals != null;
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
            if (r.Type == SymbolType.Func && seals != null && seals.Contains(Place(image, r.SectionIndex, r.Value))) table._sealed.Add(entry);
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
        if (table._blocks.Count == 0 && table._localsByName.Count > 0)
        {
            // No file symbols at all: a distribution's module, whose STT_FILE entries went with
            // its debug info (strip -g). Its locals are one object's (or one module's) block.
            var all = new List<Entry>();
            foreach (var (name, list) in table._localsByName)
                for (int i = 0; i < list.Count; i++) all.Add(list[i] = list[i] with { Block = 0 });
            table._blocks.Add(new FileBlock(0, "", all));
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

    /// <summary>Where a sealed ENDBR is: its address in an executable (vmlinux), its section and offset in a relocatable file (.ko).</summary>
    private static (uint Section, ulong Offset) Place(ElfImage image, uint section, ulong value) =>
        image.Type == ElfType.Rel ? (section, value) : (0, value);

    /// <summary>
    /// The places .ibt_endbr_seal lists, or null when the file has none. Each entry is an s32
    /// relative to itself (objtool writes <c>.long insn - .</c>): resolved by the linker in
    /// vmlinux, still a relocation in a module.
    /// </summary>
    private static HashSet<(uint, ulong)>? SealedPlaces(ElfImage image, int symtab, RawSymbol[] symbols)
    {
        int index = image.FindSection(".ibt_endbr_seal");
        if (index < 0 || image.Sections[index].Type != SectionType.ProgBits) return null;
        var places = new HashSet<(uint, ulong)>();
        if (image.Type != ElfType.Rel)
        {
            var data = image.SectionData(index).Span;
            ulong address = image.Sections[index].Address;
            for (int at = 0; at + 4 <= data.Length; at += 4)
                places.Add((0, address + (ulong)at + (ulong)(long)BinaryPrimitives.ReadInt32LittleEndian(data[at..])));
            return places;
        }
        for (int i = 0; i < image.Sections.Count; i++)
        {
            var h = image.Sections[i];
            if (h.Type != SectionType.Rela || h.Info != index || h.Link != symtab) continue;
            var rela = image.SectionData(i).Span;
            for (int at = 0; at + 24 <= rela.Length; at += 24)
            {
                ulong info = BinaryPrimitives.ReadUInt64LittleEndian(rela[(at + 8)..]);
                long addend = BinaryPrimitives.ReadInt64LittleEndian(rela[(at + 16)..]);
                uint sym = (uint)(info >> 32);
                if (sym == 0 || sym >= symbols.Length)
                    throw new KpkException($"{image.FileName}: .rela.ibt_endbr_seal refers to symbol {sym}, outside the symbol table");
                places.Add((symbols[sym].SectionIndex, symbols[sym].Value + (ulong)addend));
            }
        }
        return places;
    }

    /// <summary>
    /// Whether the parent's seal list names this function: true when its ENDBR is turned into a
    /// NOP in the running kernel, false when it stays; null when the parent has no seal list or
    /// no such function (the local found through <paramref name="block"/> when it is one).
    /// </summary>
    public bool? IsSealed(string name, bool local, FileBlock? block)
    {
        if (!HasSealList) return null;
        Entry? entry = local
            ? (block != null ? block.Locals.FirstOrDefault(e => e.Name == name) : _localsByName.GetValueOrDefault(name) is [var only] ? only : null)
            : _globals.GetValueOrDefault(name);
        if (entry == null || entry.Type != SymbolType.Func) return null;
        return _sealed.Contains(entry);
    }

    /// <summary>
    /// Reads a copy of the running kernel's <c>/proc/kallsyms</c> ("ADDRESS TYPE NAME", module
    /// symbols with a "[module]" column, left out here: they bind through their own module).
    /// Lower-case types are locals; the kernel counts same-named symbols in this, address, order.
    /// Addresses may all be zero (kptr_restrict): only the order is used.
    /// </summary>
    public static ParentSymbolTable LoadKallsyms(string path)
    {
        var table = new ParentSymbolTable(path) { FromKallsyms = true };
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (line.Length == 0) continue;
            var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 3 || parts[1].Length != 1 || !ulong.TryParse(parts[0], System.Globalization.NumberStyles.HexNumber, null, out ulong address))
                throw new KpkException($"{path}:{lineNo}: not a kallsyms line (expected \"ADDRESS TYPE NAME\"): {Shorten(line)}");
            if (parts.Length > 3) continue; // "[module]": a module's symbol
            char t = parts[1][0];
            SymbolType type = char.ToLowerInvariant(t) switch
            {
                't' or 'w' => SymbolType.Func,
                'd' or 'b' or 'r' or 'g' or 's' or 'v' => SymbolType.Object,
                _ => SymbolType.NoType,
            };
            if (type == SymbolType.NoType) continue; // absolute and special symbols bind nothing
            bool local = char.IsLower(t) && t != 'w' && t != 'v';
            var entry = new Entry(parts[2], type, local ? SymbolBinding.Local : SymbolBinding.Global, address, 0, -1);
            table._position[entry] = table._ordered.Count;
            table._ordered.Add(entry);
            if (local)
            {
                if (!table._localsByName.TryGetValue(entry.Name, out var list)) table._localsByName[entry.Name] = list = new List<Entry>();
                list.Add(entry);
            }
            else table._globals.TryAdd(entry.Name, entry);
        }
        if (table._ordered.Count == 0) throw new KpkException($"{path}: no kernel symbols (is it a copy of /proc/kallsyms, read as root?)");
        return table;
    }

    private static string Shorten(string s) => s.Length > 80 ? s[..80] + "..." : s;

    /// <summary>Whether the parent defines a global (or weak) symbol of that name.</summary>
    public bool HasGlobal(string name) => _globals.ContainsKey(name);

    /// <summary>The type of the global (or weak) symbol of that name, or null when the parent has none.</summary>
    public SymbolType? GlobalType(string name) => _globals.TryGetValue(name, out var e) ? e.Type : null;

    public bool HasLocal(string name) => _localsByName.ContainsKey(name);

    /// <summary>
    /// The file block that holds the given object's locals: the block of the same file name whose
    /// locals include every one of <paramref name="objectLocals"/>. Compiler-numbered names
    /// (<c>x.isra.0</c>, <c>__key.5</c>) are compared without their numbers.
    /// </summary>
    public FileBlock? FindBlock(string fileName, IReadOnlyCollection<string> objectLocals, IReadOnlyCollection<string>? objectGlobals = null)
    {
        if (FromKallsyms) return KallsymsBlock(fileName, objectLocals, objectGlobals ?? []);
        FileBlock? found = null;
        var wanted = objectLocals.Select(Mangling.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var block in _blocks)
        {
            if (block.File != fileName && block.File.Length != 0) continue;
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
        int index = block.Pick != null
            ? (block.Pick(name) is { } picked ? all.IndexOf(picked) : -1)
            : all.FindIndex(e => e.Block == block.Id);
        if (index < 0) return null;
        return all.Count == 1 ? 0UL : (ulong)(index + 1);
    }

    /// <summary>The sympos of a unique-or-first local anywhere in the table, for objects without a file symbol.</summary>
    public ulong? AnyLocalSympos(string name) =>
        _localsByName.TryGetValue(name, out var all) ? (all.Count == 1 ? 0UL : null) : null;

    /// <summary>
    /// kallsyms has no file symbols, but the linker keeps each object's code together, in the
    /// order of the object: a local of the object sits among the object's other symbols. So of
    /// several same-named locals, the one meant lies within the run that the object's uniquely
    /// named symbols (its anchors) mark out: no farther from any anchor than the object has
    /// symbols (most of them: some are placed elsewhere). Code and data are placed apart, so functions are judged by function anchors and
    /// variables by variable anchors. When not exactly one candidate lies there, kpk refuses
    /// rather than guess: the debug vmlinux's file symbols settle it.
    /// </summary>
    private FileBlock KallsymsBlock(string fileName, IReadOnlyCollection<string> objectLocals, IReadOnlyCollection<string> objectGlobals)
    {
        var localKeys = objectLocals.Select(Mangling.Key).ToHashSet(StringComparer.Ordinal);
        var anchors = new Dictionary<SymbolType, List<int>> { [SymbolType.Func] = new(), [SymbolType.Object] = new() };
        var counts = new Dictionary<SymbolType, int> { [SymbolType.Func] = 0, [SymbolType.Object] = 0 };
        void Anchor(Entry e) { if (anchors.TryGetValue(e.Type, out var list)) list.Add(_position[e]); }
        foreach (var g in objectGlobals)
            if (_globals.TryGetValue(g, out var e)) { Anchor(e); if (counts.ContainsKey(e.Type)) counts[e.Type]++; }
        var byKey = LocalsByKey();
        foreach (var key in localKeys)
        {
            if (!byKey.TryGetValue(key, out var candidates)) continue;
            if (counts.ContainsKey(candidates[0].Type)) counts[candidates[0].Type]++;
            if (candidates.Count == 1) Anchor(candidates[0]);
        }
        Entry? Pick(string name)
        {
            if (!byKey.TryGetValue(Mangling.Key(name), out var candidates)) return null;
            var exact = candidates.Where(c => c.Name == name).ToList();
            if (exact.Count > 0) candidates = exact;
            if (candidates.Count == 1) return candidates[0];
            var kind = candidates[0].Type;
            var mine = anchors.GetValueOrDefault(kind) ?? [];
            int span = Math.Max(1, counts.GetValueOrDefault(kind));
            // Some anchors lie elsewhere (__init code, .text.unlikely): the candidate with the most
            // anchors close by wins, and only a clear winner.
            var scored = candidates.Select(c => (c, n: mine.Count(a => Math.Abs(a - _position[c]) <= span)))
                .OrderByDescending(x => x.n).ToList();
            var inRun = scored.Where(x => x.n > 0 && x.n == scored[0].n).Select(x => x.c).ToList();
            if (inRun.Count == 1) return inRun[0];
            throw new KpkException(
                $"{Source}: the local {(kind == SymbolType.Func ? "function" : "variable")} {name} of {fileName} is one of {candidates.Count} of that name in kallsyms:\n" +
                string.Join("\n", candidates.Select(c => $"  {c.Value:x16} {name}, {Neighbours(c)}")) + "\n" +
                (mine.Count == 0
                    ? $"  and {fileName} has no uniquely named {(kind == SymbolType.Func ? "function" : "variable")} to tell them apart by;"
                    : $"  and {(inRun.Count == 0 ? "none" : "more than one")} of them lies among {fileName}'s other symbols;") +
                " give the kernel's vmlinux with its symbol table (--vmlinux, e.g. from the linux-image-RELEASE-dbg package) instead of --kallsyms");
        }
        return new FileBlock(-1, fileName, []) { Pick = Pick };
    }

    private Dictionary<string, List<Entry>>? _localsByKey;
    private readonly object _keyLock = new();

    private Dictionary<string, List<Entry>> LocalsByKey()
    {
        lock (_keyLock)
        {
            if (_localsByKey != null) return _localsByKey;
            var map = new Dictionary<string, List<Entry>>(StringComparer.Ordinal);
            foreach (var e in _ordered)
            {
                if (e.Binding != SymbolBinding.Local) continue;
                string k = Mangling.Key(e.Name);
                if (!map.TryGetValue(k, out var list)) map[k] = list = new List<Entry>();
                list.Add(e);
            }
            return _localsByKey = map;
        }
    }

    /// <summary>"between a and b": what lies around a kallsyms entry, for a person to recognise the file.</summary>
    private string Neighbours(Entry e)
    {
        int p = _position[e];
        string before = p > 0 ? _ordered[p - 1].Name : "(start)";
        string after = p + 1 < _ordered.Count ? _ordered[p + 1].Name : "(end)";
        return $"between {before} and {after}";
    }
}
