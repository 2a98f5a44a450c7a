using System.Buffers.Binary;
using System.Text;
using Kpk.Elf;

namespace Kpk.Runtime;

/// <summary>A function a live patch replaces: its name in the patched object and its kallsyms position (0 = unique).</summary>
public sealed record PatchedFunction(string Name, ulong Sympos = 0, string? Replacement = null)
{
    /// <summary>The kernel names the sysfs directory "name,sympos", showing position 0 as 1.</summary>
    public string SysfsName => $"{Name},{(Sympos == 0 ? 1 : Sympos)}";
}

/// <summary>A kernel object a live patch patches ("vmlinux" or a module) and its functions.</summary>
public sealed record PatchedObject(string Name, IReadOnlyList<PatchedFunction> Functions);

/// <summary>
/// Finds what a live patch module patches from the module alone, without loading it. The kernel
/// learns it from the <c>struct klp_patch</c> → <c>klp_object[]</c> → <c>klp_func[]</c> the module hands
/// to <c>klp_enable_patch</c>; in the unlinked .ko those pointers are relocations, which is what we read:
/// <list type="bullet">
/// <item>a <c>klp_func</c> is a relocation to a string (<c>old_name</c>) followed 8 bytes later by a
/// relocation to a function of the module (<c>new_func</c>); <c>old_sympos</c> is the next 8 bytes;</item>
/// <item>a <c>klp_object</c> is a relocation to the first <c>klp_func</c> of an array (<c>funcs</c>), preceded
/// by a relocation to its name string, or by none when the name is NULL (vmlinux);</item>
/// <item>the <c>klp_patch</c> is a relocation to the first <c>klp_object</c> (<c>objs</c>) preceded by one to
/// <c>__this_module</c> (<c>mod</c>); its <c>replace</c> flag is the byte at <c>objs + 16</c>.</item>
/// </list>
/// The offsets used are those of the external members, which the kernel has kept in place since they
/// were introduced. kpatch-built modules instead carry a <c>.kpatch.funcs</c> table
/// (<c>struct kpatch_patch_func</c>: new_addr, new_size, old_addr, old_size, sympos, name, objname);
/// it is read the same way. Nothing here executes or trusts sizes from the module beyond bounds checks.
/// </summary>
public sealed class KlpStructures
{
    private const int PointerSize = 8;
    private const int KpatchFuncSize = 7 * PointerSize;
    private const int KpatchNameOffset = 5 * PointerSize, KpatchObjnameOffset = 6 * PointerSize, KpatchSymposOffset = 4 * PointerSize;

    /// <summary>A place in a section: where a relocation points once resolved.</summary>
    private readonly record struct Location(ElfSection Section, long Offset);

    /// <summary>For each section, its 64-bit pointers by offset: where they point, once resolved.</summary>
    private readonly Dictionary<ElfSection, Dictionary<ulong, Location>> _pointers = new();
    /// <summary>Pointers to named symbols that may be undefined here (<c>__this_module</c> before modpost's link).</summary>
    private readonly Dictionary<ElfSection, Dictionary<ulong, string>> _symbolPointers = new();

    private KlpStructures(ElfObject module)
    {
        foreach (var rela in module.Sections.Where(s => s.IsRelocation && s.InfoSection != null && s.Relocations != null))
        {
            var section = rela.InfoSection!;
            if (!_pointers.TryGetValue(section, out var map)) _pointers[section] = map = new();
            if (!_symbolPointers.TryGetValue(section, out var names)) _symbolPointers[section] = names = new();
            foreach (var r in rela.Relocations!)
            {
                // Only absolute 64-bit pointers (R_X86_64_64) make up these structures.
                if (r.Type != X86_64Relocation.R64 || r.Symbol == null) continue;
                if (r.Symbol.Name.Length > 0) names[r.Offset] = r.Symbol.Name;
                if (r.Symbol.Section is { } target) map[r.Offset] = new Location(target, (long)r.Symbol.Value + r.Addend);
            }
        }
        _functions = module.Symbols.Where(s => s.IsFunction && s.Section != null)
            .GroupBy(s => (s.Section!, (long)s.Value)).ToDictionary(g => g.Key, g => g.First().Name);
    }

    private readonly Dictionary<(ElfSection, long), string> _functions;

    /// <summary>The patched objects and functions, in the module's order; empty when none were recognised.</summary>
    public IReadOnlyList<PatchedObject> Objects { get; private set; } = [];

    /// <summary>The klp_patch replace flag; null when the klp_patch was not found.</summary>
    public bool? Replace { get; private set; }

    public static KlpStructures Read(ElfObject module)
    {
        var klp = new KlpStructures(module);
        klp.Objects = klp.ReadKlpObjects(module);
        if (klp.Objects.Count == 0) klp.Objects = klp.ReadKpatchFuncs(module);
        return klp;
    }

    private List<PatchedObject> ReadKlpObjects(ElfObject module)
    {
        // Every klp_func, by section and offset.
        var funcs = new Dictionary<Location, PatchedFunction>();
        foreach (var (section, map) in _pointers)
        {
            foreach (var (offset, target) in map)
            {
                if (ReadString(target) is not { } oldName) continue;
                if (!map.TryGetValue(offset + PointerSize, out var newFunc) || !_functions.TryGetValue((newFunc.Section, newFunc.Offset), out var replacement))
                    continue;
                ulong sympos = ReadU64(section, (long)offset + 2 * PointerSize);
                funcs[new Location(section, (long)offset)] = new PatchedFunction(oldName, sympos, replacement);
            }
        }
        if (funcs.Count == 0) return [];
        long stride = FuncStride(funcs.Keys);

        // klp_objects: pointers to the first klp_func of an array, at offset 8 of the object.
        var objects = new List<(Location At, PatchedObject Object)>();
        foreach (var (section, map) in _pointers)
        {
            foreach (var (offset, target) in map)
            {
                if (offset < PointerSize || !funcs.ContainsKey(target)) continue;
                // The funcs member of a klp_object follows its name; a klp_func's new_func never points at a klp_func.
                string name = map.TryGetValue(offset - PointerSize, out var nameAt) ? ReadString(nameAt) ?? "?" : "vmlinux";
                var list = new List<PatchedFunction>();
                for (var at = target; funcs.TryGetValue(at, out var f); at = at with { Offset = at.Offset + stride })
                {
                    list.Add(f);
                    if (stride == 0) break;
                }
                objects.Add((new Location(section, (long)offset - PointerSize), new PatchedObject(name, list)));
            }
        }
        FindReplace(objects.Select(o => o.At).ToHashSet());
        return objects.OrderBy(o => o.At.Section.Index).ThenBy(o => o.At.Offset).Select(o => o.Object).ToList();
    }

    /// <summary>sizeof(struct klp_func) varies with the kernel's config; the closest two klp_funcs in one array tell it.</summary>
    private static long FuncStride(IEnumerable<Location> funcs) =>
        funcs.GroupBy(f => f.Section)
            .SelectMany(g => g.Select(f => f.Offset).Order().Zip(g.Select(f => f.Offset).Order().Skip(1), (a, b) => b - a))
            .DefaultIfEmpty(0).Min();

    private void FindReplace(HashSet<Location> objectStarts)
    {
        foreach (var (section, map) in _pointers)
            foreach (var (offset, target) in map)
            {
                if (!objectStarts.Contains(target) || offset < PointerSize) continue;
                // klp_patch { mod; objs; states; replace; }: mod points to __this_module.
                if (!_symbolPointers[section].TryGetValue(offset - PointerSize, out var mod) || mod != "__this_module") continue;
                Replace = ReadU64(section, (long)offset + 2 * PointerSize) is var word && (word & 0xff) != 0;
                return;
            }
    }

    private List<PatchedObject> ReadKpatchFuncs(ElfObject module)
    {
        var table = module.FindSection(".kpatch.funcs");
        if (table == null || !_pointers.TryGetValue(table, out var map)) return [];
        var byObject = new Dictionary<string, List<PatchedFunction>>();
        var order = new List<string>();
        for (long entry = 0; entry + KpatchFuncSize <= (long)table.Size; entry += KpatchFuncSize)
        {
            if (!map.TryGetValue((ulong)(entry + KpatchNameOffset), out var nameAt) || ReadString(nameAt) is not { } name) continue;
            string obj = map.TryGetValue((ulong)(entry + KpatchObjnameOffset), out var objAt) ? ReadString(objAt) ?? "vmlinux" : "vmlinux";
            if (!byObject.TryGetValue(obj, out var list)) { byObject[obj] = list = new(); order.Add(obj); }
            list.Add(new PatchedFunction(name, ReadU64(table, entry + KpatchSymposOffset)));
        }
        return order.Select(o => new PatchedObject(o, byObject[o])).ToList();
    }

    /// <summary>A NUL-terminated printable string at the location, or null when there is none.</summary>
    private static string? ReadString(Location at)
    {
        if (at.Section.IsExecutable || at.Section.Type == SectionType.NoBits) return null;
        var data = at.Section.Data.Span;
        if (at.Offset < 0 || at.Offset >= data.Length) return null;
        var rest = data[(int)at.Offset..];
        int end = rest.IndexOf((byte)0);
        if (end <= 0) return null;
        var bytes = rest[..end];
        foreach (byte b in bytes)
            if (b < 0x21 || b > 0x7e) return null; // symbol and module names are plain ASCII words
        return Encoding.ASCII.GetString(bytes);
    }

    private static ulong ReadU64(ElfSection section, long offset)
    {
        var data = section.Data.Span;
        return offset >= 0 && offset + 8 <= data.Length ? BinaryPrimitives.ReadUInt64LittleEndian(data[(int)offset..]) : 0;
    }
}
