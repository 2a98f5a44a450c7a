using Kpk.Elf;

namespace Kpk.Diff;

/// <summary>What comparing an original and a patched object concluded.</summary>
public enum DiffOutcome
{
    /// <summary>A patch object was produced.</summary>
    Patched,
    /// <summary>Nothing changed that matters (e.g. only __LINE__ numbers moved); no output.</summary>
    NoChange,
    /// <summary>The change cannot be live patched; <see cref="DiffResult.Errors"/> says why.</summary>
    Unsupported,
}

/// <summary>
/// One function the live patch replaces: the <c>klp_func</c> the module stage generates.
/// <see cref="Alias"/> is a global symbol the differ adds at the new function's start, so the
/// generated hook can take its address although the function itself is made local.
/// </summary>
public sealed record ReplacedFunction(string Name, string ParentObject, ulong Sympos, string Alias);

/// <summary>
/// A reference from the patch to a symbol the module loader cannot resolve (a local or an
/// unexported global of the parent, or a symbol of a module that may load later). In the output
/// object it is an undefined symbol named <see cref="KlpSymbolName"/>
/// (<c>.klp.sym.OBJ.NAME,POS</c>); the module stage moves the relocations against it into
/// <c>.klp.rela.OBJ.SECTION</c> sections and gives the symbol SHN_LIVEPATCH.
/// </summary>
public sealed record LivepatchBinding(string Name, string ParentObject, ulong Sympos)
{
    public string KlpSymbolName => $".klp.sym.{ParentObject}.{Name},{Sympos}";

    public const string SymbolPrefix = ".klp.sym.";
}

/// <summary>
/// Entry sizes of the special sections, by the size keys of <see cref="SpecialSectionTable"/>
/// (bug, ex, jump, alt, ...): measured from the kernel or given by the user. A key not given
/// takes the object's architecture's default.
/// </summary>
public sealed record SpecialSectionSizes
{
    private readonly IReadOnlyDictionary<string, int> _sizes;

    public SpecialSectionSizes() : this(new Dictionary<string, int>(StringComparer.Ordinal)) { }

    private SpecialSectionSizes(IReadOnlyDictionary<string, int> sizes) => _sizes = sizes;

    /// <summary>The sizes given, by key.</summary>
    public IReadOnlyDictionary<string, int> Given => _sizes;

    /// <summary>The size given for <paramref name="key"/>, or null to use the architecture's default.</summary>
    public int? Of(string key) => _sizes.TryGetValue(key, out int size) ? size : null;

    /// <summary>Parses overrides like <c>bug=12,jump=16</c>; the keys are the table's size keys (or their long names).</summary>
    public SpecialSectionSizes With(string overrides)
    {
        var sizes = new Dictionary<string, int>(_sizes, StringComparer.Ordinal);
        foreach (var part in overrides.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2);
            if (kv.Length != 2 || !int.TryParse(kv[1], out int size) || size <= 0)
                throw new Kpk.Core.KpkException($"special section size '{part}': expected NAME=BYTES, e.g. jump=16");
            string key = SpecialSectionTable.SizeKeyAliases.GetValueOrDefault(kv[0]) ?? kv[0];
            if (!SpecialSectionTable.SizeKeys.Contains(key))
                throw new Kpk.Core.KpkException($"special section size '{part}': unknown section '{kv[0]}' ({string.Join(", ", SpecialSectionTable.SizeKeys)})");
            sizes[key] = size;
        }
        return new SpecialSectionSizes(sizes);
    }

    public bool Equals(SpecialSectionSizes? other) =>
        other != null && _sizes.Count == other._sizes.Count && _sizes.All(kv => other.Of(kv.Key) == kv.Value);

    public override int GetHashCode() => _sizes.Count;
}

/// <summary>How to diff one object pair.</summary>
public sealed record DiffOptions
{
    /// <summary>The symbols of the ELF the patch binds to at load time (vmlinux, or the module's .ko).</summary>
    public required ParentSymbolTable Parent { get; init; }
    /// <summary>The livepatch object name: <c>vmlinux</c> or the module name.</summary>
    public string ParentName { get; init; } = "vmlinux";
    /// <summary>Exported symbols (Module.symvers); empty when none given.</summary>
    public ModuleSymvers Exports { get; init; } = ModuleSymvers.Empty;
    /// <summary>The patch module's name (used in messages and generated names).</summary>
    public string PatchName { get; init; } = "kpk_patch";
    public SpecialSectionSizes SpecialSizes { get; init; } = new();
    /// <summary>
    /// Carry the patched object's DWARF (.debug_*) into the patch, so gdb, crash and perf can
    /// read the replaced functions; references from it to anything left out are dropped.
    /// </summary>
    public bool KeepDebugInfo { get; init; } = true;
}

public sealed record DiffResult
{
    public required DiffOutcome Outcome { get; init; }
    /// <summary>
    /// Existing functions the patch replaces, named as in the object (e.g. <c>copy_process.part.8</c>);
    /// for <see cref="DiffOutcome.Unsupported"/>, the functions found changed before the refusal.
    /// </summary>
    public IReadOnlyList<string> Replaced { get; init; } = [];
    /// <summary>Functions that exist only in the patched object and are carried in the patch.</summary>
    public IReadOnlyList<string> New { get; init; } = [];
    public IReadOnlyList<string> Errors { get; init; } = [];
    public IReadOnlyList<string> Warnings { get; init; } = [];
    /// <summary>The klp_func entries to generate (with sympos), one per replaced function.</summary>
    public IReadOnlyList<ReplacedFunction> Functions { get; init; } = [];
    /// <summary>References bound by the livepatch core at load time.</summary>
    public IReadOnlyList<LivepatchBinding> Bindings { get; init; } = [];
    /// <summary>Callback functions found (pre_patch, post_patch, pre_unpatch, post_unpatch) by kind.</summary>
    public IReadOnlyDictionary<string, string> Callbacks { get; init; } = new Dictionary<string, string>();
    /// <summary>The patch object, when <see cref="Outcome"/> is <see cref="DiffOutcome.Patched"/>.</summary>
    public ElfObject? Output { get; init; }
}
