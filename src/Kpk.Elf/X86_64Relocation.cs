namespace Kpk.Elf;

/// <summary>x86-64 relocation types (psABI), with their names as readelf prints them.</summary>
public static class X86_64Relocation
{
    public const uint None = 0, R64 = 1, Pc32 = 2, Got32 = 3, Plt32 = 4, Copy = 5, GlobDat = 6, JumpSlot = 7,
        Relative = 8, GotPcRel = 9, R32 = 10, R32S = 11, R16 = 12, Pc16 = 13, R8 = 14, Pc8 = 15,
        DtpMod64 = 16, DtpOff64 = 17, TpOff64 = 18, TlsGd = 19, TlsLd = 20, DtpOff32 = 21, GotTpOff = 22,
        TpOff32 = 23, Pc64 = 24, GotOff64 = 25, GotPc32 = 26, Got64 = 27, GotPcRel64 = 28, GotPc64 = 29,
        GotPlt64 = 30, PltOff64 = 31, Size32 = 32, Size64 = 33, GotPc32TlsDesc = 34, TlsDescCall = 35,
        TlsDesc = 36, IRelative = 37, Relative64 = 38, GotPcRelX = 41, RexGotPcRelX = 42;

    private static readonly string[] Names =
    {
        "R_X86_64_NONE", "R_X86_64_64", "R_X86_64_PC32", "R_X86_64_GOT32", "R_X86_64_PLT32", "R_X86_64_COPY",
        "R_X86_64_GLOB_DAT", "R_X86_64_JUMP_SLOT", "R_X86_64_RELATIVE", "R_X86_64_GOTPCREL", "R_X86_64_32",
        "R_X86_64_32S", "R_X86_64_16", "R_X86_64_PC16", "R_X86_64_8", "R_X86_64_PC8", "R_X86_64_DTPMOD64",
        "R_X86_64_DTPOFF64", "R_X86_64_TPOFF64", "R_X86_64_TLSGD", "R_X86_64_TLSLD", "R_X86_64_DTPOFF32",
        "R_X86_64_GOTTPOFF", "R_X86_64_TPOFF32", "R_X86_64_PC64", "R_X86_64_GOTOFF64", "R_X86_64_GOTPC32",
        "R_X86_64_GOT64", "R_X86_64_GOTPCREL64", "R_X86_64_GOTPC64", "R_X86_64_GOTPLT64", "R_X86_64_PLTOFF64",
        "R_X86_64_SIZE32", "R_X86_64_SIZE64", "R_X86_64_GOTPC32_TLSDESC", "R_X86_64_TLSDESC_CALL",
        "R_X86_64_TLSDESC", "R_X86_64_IRELATIVE", "R_X86_64_RELATIVE64", "R_X86_64_39", "R_X86_64_40",
        "R_X86_64_GOTPCRELX", "R_X86_64_REX_GOTPCRELX",
    };

    public static string Name(uint type) =>
        type < Names.Length && type is not 39 and not 40 ? Names[type] : $"R_X86_64_<{type}>";

    public static bool TryParse(string name, out uint type)
    {
        int i = Array.IndexOf(Names, name);
        type = i < 0 ? 0 : (uint)i;
        return i >= 0;
    }

    /// <summary>
    /// Whether the relocated value is relative to the place it is stored at. For PC-relative
    /// references to code the addend is usually -4 (the displacement is taken from the end of a
    /// 4-byte field), which matters when finding which symbol a section-relative reference means.
    /// </summary>
    public static bool IsPcRelative(uint type) =>
        type is Pc32 or Plt32 or Pc64 or Pc16 or Pc8 or GotPcRel or GotPcRelX or RexGotPcRelX or GotPc32;

    /// <summary>Bytes written at the relocated place.</summary>
    public static int Width(uint type) => type switch
    {
        R64 or Pc64 or Relative or GlobDat or JumpSlot or DtpMod64 or DtpOff64 or TpOff64 or GotOff64 or Size64 => 8,
        R16 or Pc16 => 2,
        R8 or Pc8 => 1,
        None => 0,
        _ => 4,
    };
}
