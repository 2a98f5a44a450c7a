namespace Kpk.Elf;

/// <summary>PowerPC64 relocation types (ELFv2 psABI) that kernel objects use, named as readelf prints them.</summary>
public static class Ppc64Relocation
{
    public const uint None = 0, Addr32 = 1, Addr16Lo = 4, Addr16Hi = 5, Addr16Ha = 6, Rel24 = 10, Rel14 = 11,
        Rel32 = 26, Addr64 = 38, Rel64 = 44, Toc16 = 47, Toc16Lo = 48, Toc16Hi = 49, Toc16Ha = 50, Toc = 51,
        Addr16Ds = 56, Addr16LoDs = 57, Toc16Ds = 63, Toc16LoDs = 64, TocSave = 109, Rel24NoToc = 116,
        Entry = 118, Rel16 = 249, Rel16Lo = 250, Rel16Hi = 251, Rel16Ha = 252;

    internal static readonly Dictionary<uint, string> Names = new()
    {
        [None] = "R_PPC64_NONE", [Addr32] = "R_PPC64_ADDR32", [Addr16Lo] = "R_PPC64_ADDR16_LO", [Addr16Hi] = "R_PPC64_ADDR16_HI",
        [Addr16Ha] = "R_PPC64_ADDR16_HA", [Rel24] = "R_PPC64_REL24", [Rel14] = "R_PPC64_REL14", [Rel32] = "R_PPC64_REL32",
        [Addr64] = "R_PPC64_ADDR64", [Rel64] = "R_PPC64_REL64", [Toc16] = "R_PPC64_TOC16", [Toc16Lo] = "R_PPC64_TOC16_LO",
        [Toc16Hi] = "R_PPC64_TOC16_HI", [Toc16Ha] = "R_PPC64_TOC16_HA", [Toc] = "R_PPC64_TOC", [Addr16Ds] = "R_PPC64_ADDR16_DS",
        [Addr16LoDs] = "R_PPC64_ADDR16_LO_DS", [Toc16Ds] = "R_PPC64_TOC16_DS", [Toc16LoDs] = "R_PPC64_TOC16_LO_DS",
        [TocSave] = "R_PPC64_TOCSAVE", [Rel24NoToc] = "R_PPC64_REL24_NOTOC", [Entry] = "R_PPC64_ENTRY",
        [Rel16] = "R_PPC64_REL16", [Rel16Lo] = "R_PPC64_REL16_LO", [Rel16Hi] = "R_PPC64_REL16_HI", [Rel16Ha] = "R_PPC64_REL16_HA",
    };
}

/// <summary>ELFv2 (ppc64le) symbol facts.</summary>
public static class Ppc64Abi
{
    /// <summary>The distance from a function's global to its local entry point, as st_other encodes it.</summary>
    public static int LocalEntryOffset(byte other) => ((1 << ((other >> 5) & 7)) >> 2) << 2;
}

/// <summary>AArch64 relocation types (AAELF64) that kernel objects use, named as readelf prints them.</summary>
public static class Aarch64Relocation
{
    public const uint None = 0, Abs64 = 257, Abs32 = 258, Abs16 = 259, Prel64 = 260, Prel32 = 261, Prel16 = 262,
        MovwUabsG0 = 263, MovwUabsG0Nc = 264, MovwUabsG1 = 265, MovwUabsG1Nc = 266, MovwUabsG2 = 267, MovwUabsG2Nc = 268,
        MovwUabsG3 = 269, MovwSabsG0 = 270, MovwSabsG1 = 271, MovwSabsG2 = 272, LdPrelLo19 = 273, AdrPrelLo21 = 274,
        AdrPrelPgHi21 = 275, AdrPrelPgHi21Nc = 276, AddAbsLo12Nc = 277, Ldst8AbsLo12Nc = 278, TstBr14 = 279,
        CondBr19 = 280, Jump26 = 282, Call26 = 283, Ldst16AbsLo12Nc = 284, Ldst32AbsLo12Nc = 285, Ldst64AbsLo12Nc = 286,
        MovwPrelG0 = 287, MovwPrelG0Nc = 288, MovwPrelG1 = 289, MovwPrelG1Nc = 290, MovwPrelG2 = 291, MovwPrelG2Nc = 292,
        MovwPrelG3 = 293, Ldst128AbsLo12Nc = 299, AdrGotPage = 311, Ld64GotLo12Nc = 312;

    internal static readonly Dictionary<uint, string> Names = new()
    {
        [None] = "R_AARCH64_NONE", [Abs64] = "R_AARCH64_ABS64", [Abs32] = "R_AARCH64_ABS32", [Abs16] = "R_AARCH64_ABS16",
        [Prel64] = "R_AARCH64_PREL64", [Prel32] = "R_AARCH64_PREL32", [Prel16] = "R_AARCH64_PREL16",
        [MovwUabsG0] = "R_AARCH64_MOVW_UABS_G0", [MovwUabsG0Nc] = "R_AARCH64_MOVW_UABS_G0_NC", [MovwUabsG1] = "R_AARCH64_MOVW_UABS_G1",
        [MovwUabsG1Nc] = "R_AARCH64_MOVW_UABS_G1_NC", [MovwUabsG2] = "R_AARCH64_MOVW_UABS_G2", [MovwUabsG2Nc] = "R_AARCH64_MOVW_UABS_G2_NC",
        [MovwUabsG3] = "R_AARCH64_MOVW_UABS_G3", [MovwSabsG0] = "R_AARCH64_MOVW_SABS_G0", [MovwSabsG1] = "R_AARCH64_MOVW_SABS_G1",
        [MovwSabsG2] = "R_AARCH64_MOVW_SABS_G2", [LdPrelLo19] = "R_AARCH64_LD_PREL_LO19", [AdrPrelLo21] = "R_AARCH64_ADR_PREL_LO21",
        [AdrPrelPgHi21] = "R_AARCH64_ADR_PREL_PG_HI21", [AdrPrelPgHi21Nc] = "R_AARCH64_ADR_PREL_PG_HI21_NC",
        [AddAbsLo12Nc] = "R_AARCH64_ADD_ABS_LO12_NC", [Ldst8AbsLo12Nc] = "R_AARCH64_LDST8_ABS_LO12_NC", [TstBr14] = "R_AARCH64_TSTBR14",
        [CondBr19] = "R_AARCH64_CONDBR19", [Jump26] = "R_AARCH64_JUMP26", [Call26] = "R_AARCH64_CALL26",
        [Ldst16AbsLo12Nc] = "R_AARCH64_LDST16_ABS_LO12_NC", [Ldst32AbsLo12Nc] = "R_AARCH64_LDST32_ABS_LO12_NC",
        [Ldst64AbsLo12Nc] = "R_AARCH64_LDST64_ABS_LO12_NC", [MovwPrelG0] = "R_AARCH64_MOVW_PREL_G0",
        [MovwPrelG0Nc] = "R_AARCH64_MOVW_PREL_G0_NC", [MovwPrelG1] = "R_AARCH64_MOVW_PREL_G1", [MovwPrelG1Nc] = "R_AARCH64_MOVW_PREL_G1_NC",
        [MovwPrelG2] = "R_AARCH64_MOVW_PREL_G2", [MovwPrelG2Nc] = "R_AARCH64_MOVW_PREL_G2_NC", [MovwPrelG3] = "R_AARCH64_MOVW_PREL_G3",
        [Ldst128AbsLo12Nc] = "R_AARCH64_LDST128_ABS_LO12_NC", [AdrGotPage] = "R_AARCH64_ADR_GOT_PAGE",
        [Ld64GotLo12Nc] = "R_AARCH64_LD64_GOT_LO12_NC",
    };
}

/// <summary>Relocation facts that depend only on the machine: names, and the 64-bit absolute pointer type.</summary>
public static class RelocationTypes
{
    public static string Name(ushort machine, uint type) => machine switch
    {
        ElfMachine.X86_64 => X86_64Relocation.Name(type),
        ElfMachine.Ppc64 => Ppc64Relocation.Names.GetValueOrDefault(type) ?? $"R_PPC64_<{type}>",
        ElfMachine.Aarch64 => Aarch64Relocation.Names.GetValueOrDefault(type) ?? $"R_AARCH64_<{type}>",
        _ => $"<{type}>",
    };

    /// <summary>The relocation that stores a symbol's 64-bit address (R_X86_64_64, R_PPC64_ADDR64, R_AARCH64_ABS64); null for another machine.</summary>
    public static uint? Pointer64(ushort machine) => machine switch
    {
        ElfMachine.X86_64 => X86_64Relocation.R64,
        ElfMachine.Ppc64 => Ppc64Relocation.Addr64,
        ElfMachine.Aarch64 => Aarch64Relocation.Abs64,
        _ => null,
    };
}
