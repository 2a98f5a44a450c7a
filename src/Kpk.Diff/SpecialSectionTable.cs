namespace Kpk.Diff;

/// <summary>How the entries of a special section are delimited.</summary>
public enum EntryGrouping
{
    /// <summary>Fixed-size entries (the size from <see cref="SpecialSectionKind.SizeKey"/> or <see cref="SpecialSectionKind.FixedSize"/>).</summary>
    Fixed,
    /// <summary>Variable-sized code stubs, each starting where an __ex_table entry points (.fixup).</summary>
    ExceptionFixups,
    /// <summary>One address per entry here, the entry itself in a parallel table (.orc_unwind_ip and .orc_unwind).</summary>
    Parallel,
    /// <summary>The ftrace site list: never compared, regenerated for the functions the patch carries.</summary>
    Regenerated,
}

/// <summary>What an entry must satisfy, beyond pointing into a carried function, to be kept.</summary>
public enum EntryCheck
{
    None,
    /// <summary>A jump label: its key (the entry's third relocation) must be resolvable when the patch loads.</summary>
    JumpKey,
    /// <summary>A static call site: its key (the second relocation) likewise.</summary>
    StaticCallKey,
}

/// <summary>How the kernel's own entry size is measured: a C expression against its headers (see Kpk.Build's SpecialSizeProbe).</summary>
public sealed record SizeMeasure(string Expression, string? ConfigGuard, string Header);

/// <summary>
/// One special section: a table with an entry per site in the code (a BUG, an exception fixup,
/// a jump label...). The patch keeps the entries of the functions it carries.
/// </summary>
public sealed record SpecialSectionKind(string Name, Arches Arches, EntryGrouping Grouping)
{
    /// <summary>The name of the entry size in --special-sizes and the probe (bug, ex, jump, ...); null for a fixed size.</summary>
    public string? SizeKey { get; init; }
    /// <summary>The entry size when it is the same on every kernel (a 32-bit offset per site).</summary>
    public int? FixedSize { get; init; }
    public EntryCheck Check { get; init; }
    public SizeMeasure? Measure { get; init; }
    /// <summary>Code the entries point to that is carried whole when any entry is kept (.altinstr_replacement).</summary>
    public string? Companion { get; init; }
    /// <summary>For <see cref="EntryGrouping.Parallel"/>: the table that holds the entries.</summary>
    public string? ParallelTable { get; init; }

    public bool AppliesTo(Architecture arch) => (Arches & arch.Id) != 0;

    /// <summary>The entry size for <paramref name="arch"/>: measured or overridden, else the architecture's default.</summary>
    public int EntrySize(Architecture arch, SpecialSectionSizes sizes) =>
        FixedSize ?? (SizeKey == null ? 0 : sizes.Of(SizeKey) ?? arch.DefaultEntrySize(SizeKey));
}

/// <summary>
/// Every special section kpk knows, in the order they are rebuilt (.fixup before __ex_table,
/// whose references locate its stubs). Each place that needs the names (the differ, the patch
/// object builder, the size probe, --special-sizes) reads them here.
/// </summary>
public static class SpecialSectionTable
{
    private const Arches X86 = Arches.X86_64, Ppc = Arches.Ppc64le, Arm = Arches.Aarch64;

    public static readonly IReadOnlyList<SpecialSectionKind> All =
    [
        new("__bug_table", Arches.All, EntryGrouping.Fixed)
            { SizeKey = "bug", Measure = new("sizeof(struct bug_entry)", "CONFIG_GENERIC_BUG", "linux/bug.h") },
        new(".fixup", X86 | Ppc, EntryGrouping.ExceptionFixups),
        new("__ex_table", Arches.All, EntryGrouping.Fixed)
            { SizeKey = "ex", Measure = new("sizeof(struct exception_table_entry)", null, "asm/extable.h") },
        new("__jump_table", Arches.All, EntryGrouping.Fixed)
            { SizeKey = "jump", Check = EntryCheck.JumpKey, Measure = new("sizeof(struct jump_entry)", "CONFIG_JUMP_LABEL", "linux/jump_label.h") },
        new(".printk_index", Arches.All, EntryGrouping.Fixed)
            { SizeKey = "printk", Measure = new("sizeof(struct pi_entry)", "CONFIG_PRINTK_INDEX", "linux/printk.h") },
        new(".smp_locks", X86, EntryGrouping.Fixed) { FixedSize = 4 },
        new(".parainstructions", X86, EntryGrouping.Fixed)
            // 6.8 (0x060800) folded paravirt patching into the alternatives: no .parainstructions, no struct.
            { SizeKey = "para", Measure = new("sizeof(struct paravirt_patch_site)",
                "defined(CONFIG_PARAVIRT) && (!defined(LINUX_VERSION_CODE) || LINUX_VERSION_CODE < 0x060800)", "asm/paravirt_types.h") },
        new(".static_call_sites", X86, EntryGrouping.Fixed)
            { SizeKey = "static_call", Check = EntryCheck.StaticCallKey, Measure = new("sizeof(struct static_call_site)", "CONFIG_HAVE_STATIC_CALL_INLINE", "linux/static_call_types.h") },
        new(".altinstructions", X86 | Arm, EntryGrouping.Fixed)
            { SizeKey = "alt", Companion = ".altinstr_replacement", Measure = new("sizeof(struct alt_instr)", null, "asm/alternative.h") },
        new(".retpoline_sites", X86, EntryGrouping.Fixed) { FixedSize = 4 },
        new(".return_sites", X86, EntryGrouping.Fixed) { FixedSize = 4 },
        new(".call_sites", X86, EntryGrouping.Fixed) { FixedSize = 4 },
        // struct fixup_entry is private to arch/powerpc/lib/feature-fixups.c: no header to measure it from.
        new("__ftr_fixup", Ppc, EntryGrouping.Fixed) { SizeKey = "fixup" },
        new("__mmu_ftr_fixup", Ppc, EntryGrouping.Fixed) { SizeKey = "fixup" },
        new("__fw_ftr_fixup", Ppc, EntryGrouping.Fixed) { SizeKey = "fixup" },
        new("__lwsync_fixup", Ppc, EntryGrouping.Fixed) { FixedSize = 8 },
        new(".orc_unwind_ip", X86, EntryGrouping.Parallel)
            { SizeKey = "orc", ParallelTable = ".orc_unwind", Measure = new("sizeof(struct orc_entry)", "CONFIG_UNWINDER_ORC", "asm/orc_types.h") },
        new("__mcount_loc", X86 | Ppc, EntryGrouping.Regenerated),
        new("__patchable_function_entries", Arches.All, EntryGrouping.Regenerated),
    ];

    private static readonly Dictionary<string, SpecialSectionKind> ByName = All.ToDictionary(k => k.Name, StringComparer.Ordinal);

    /// <summary>The special section of that name (on any architecture), or null.</summary>
    public static SpecialSectionKind? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>The size keys --special-sizes accepts, with their long spellings.</summary>
    public static readonly IReadOnlyDictionary<string, string> SizeKeyAliases = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["ex_table"] = "ex", ["altinstructions"] = "alt", ["parainstructions"] = "para",
        ["static_call_sites"] = "static_call", ["printk_index"] = "printk", ["ftr_fixup"] = "fixup",
    };

    public static IEnumerable<string> SizeKeys => All.Select(k => k.SizeKey).OfType<string>().Distinct();
}
