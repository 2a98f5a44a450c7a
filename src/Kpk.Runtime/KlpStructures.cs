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
/// <item>the <c>klp_patch</c> is a relocation to <c>__this_module</c> (<c>mod</c>) followed by one to the
/// <c>klp_object</c> array (<c>objs</c>); its <c>replace</c> flag is the byte 24 bytes in;</item>
/// <item>a <c>klp_object</c> has a relocation to its name string (none when NULL: vmlinux), then one to its
/// <c>klp_func</c> array (<c>funcs</c>), which may hold only the terminator (an object with callbacks only).
/// Array strides (sizeof of each struct, which depends on the kernel config) come from the distance
/// between neighbouring elements.</item>
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
        uint? pointer = RelocationTypes.Pointer64(module.Machine);
        // Only allocated sections hold the structures; .debug_info also points at them, and must not count.
        foreach (var rela in module.Sections.Where(s => s.IsRelocation && s.InfoSection is { IsAlloc: true } && s.Relocations != null))
        {
            var section = rela.InfoSection!;
            if (!_pointers.TryGetValue(section, out var map)) _pointers[section] = map = new();
            if (!_symbolPointers.TryGetValue(section, out var names)) _symbolPointers[section] = names = new();
            foreach (var r in rela.Relocations!)
            {
                // Only absolute 64-bit pointers (R_X86_64_64, R_PPC64_ADDR64, ...) make up these structures.
                if (r.Type != pointer || r.Symbol == null) continue;
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

    /// <summary>Whether the module's machine is one whose pointer relocations this reader knows (x86-64, ppc64le, aarch64).</summary>
    public static bool Supports(ElfObject module) => RelocationTypes.Pointer64(module.Machine) != null;

    public static KlpStructures Read(ElfObject module)
    {
        var klp = new KlpStructures(module);
        if (!Supports(module)) return klp;
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
        long funcStride = Stride(funcs.Keys);

        // A klp_object's funcs (offset 8) points at a klp_func array: a known klp_func, or an empty
        // array (only the zeroed terminator) for an object that has callbacks but patches nothing.
        bool IsFuncArray(Location at) => funcs.ContainsKey(at) || IsEmptyFuncArray(at);
        var candidates = new List<Location>();
        foreach (var (section, map) in _pointers)
            foreach (var (offset, target) in map)
                if (offset >= PointerSize && IsFuncArray(target))
                    candidates.Add(new Location(section, (long)offset - PointerSize));

        List<Location> objects;
        var known = candidates.ToHashSet();
        if (FindPatch(known) is { } objs)
        {
            // The klp_patch's objs array: objects at a fixed stride from its start, up to the terminator.
            long stride = Stride(candidates.Where(c => c.Section == objs.Section && c.Offset >= objs.Offset));
            objects = new();
            for (var at = objs; known.Contains(at); at = at with { Offset = at.Offset + stride })
            {
                objects.Add(at);
                if (stride == 0) break;
            }
        }
        else
        {
            // No klp_patch found (e.g. it is built at run time): every object that points at klp_funcs.
            objects = candidates.Where(c => funcs.ContainsKey(Pointer(c, PointerSize)!.Value))
                .OrderBy(c => c.Section.Index).ThenBy(c => c.Offset).ToList();
        }

        var result = new List<PatchedObject>();
        foreach (var obj in objects)
        {
            string name = Pointer(obj, 0) is { } nameAt ? ReadString(nameAt) ?? "?" : "vmlinux"; // NULL name means vmlinux
            var list = new List<PatchedFunction>();
            for (var at = Pointer(obj, PointerSize)!.Value; funcs.TryGetValue(at, out var f); at = at with { Offset = at.Offset + funcStride })
            {
                list.Add(f);
                if (funcStride == 0) break;
            }
            result.Add(new PatchedObject(name, list));
        }
        return result;
    }

    /// <summary>Where the pointer at <paramref name="at"/> + <paramref name="delta"/> points, if there is one.</summary>
    private Location? Pointer(Location at, long delta) =>
        _pointers.TryGetValue(at.Section, out var map) && map.TryGetValue((ulong)(at.Offset + delta), out var target) ? target : null;

    /// <summary>A klp_func array holding only its terminator: zero old_name and new_func, no relocation there.</summary>
    private bool IsEmptyFuncArray(Location at) =>
        !at.Section.IsExecutable && at.Section.IsAlloc && Pointer(at, 0) == null && Pointer(at, PointerSize) == null
        && at.Offset >= 0 && at.Offset + 2 * PointerSize <= (long)at.Section.Size
        // An all-zero array lands in .bss (no bytes in the file: zero by definition).
        && (at.Section.Type == SectionType.NoBits || (ReadU64(at.Section, at.Offset) == 0 && ReadU64(at.Section, at.Offset + PointerSize) == 0));

    /// <summary>The size of one array element (sizeof(struct klp_func), sizeof(struct klp_object)) varies with the kernel's config; the closest two elements tell it.</summary>
    private static long Stride(IEnumerable<Location> items) =>
        items.GroupBy(f => f.Section)
            .SelectMany(g => g.Select(f => f.Offset).Order().Zip(g.Select(f => f.Offset).Order().Skip(1), (a, b) => b - a))
            .Where(gap => gap > 0).DefaultIfEmpty(0).Min();

    /// <summary>
    /// The klp_patch { mod; objs; states; replace; }: mod points to __this_module, objs to a klp_object.
    /// (Other structures start with THIS_MODULE too, e.g. file_operations.owner; their next pointer is
    /// not a klp_object.) Sets <see cref="Replace"/> and returns where objs points.
    /// </summary>
    private Location? FindPatch(HashSet<Location> objects)
    {
        foreach (var (section, names) in _symbolPointers)
            foreach (var (offset, symbol) in names)
            {
                if (symbol != "__this_module" || Pointer(new Location(section, (long)offset), PointerSize) is not { } objs || !objects.Contains(objs)) continue;
                Replace = (ReadU64(section, (long)offset + 3 * PointerSize) & 0xff) != 0;
                return objs;
            }
        return null;
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
