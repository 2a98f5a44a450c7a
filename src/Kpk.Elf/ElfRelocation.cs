namespace Kpk.Elf;

/// <summary>One relocation: patch the place at <see cref="Offset"/> of the target section with <see cref="Symbol"/> + <see cref="Addend"/>.</summary>
public sealed class ElfRelocation
{
    public ElfRelocation(ulong offset, uint type, ElfSymbol? symbol, long addend)
    {
        Offset = offset;
        Type = type;
        Symbol = symbol;
        Addend = addend;
    }

    public ulong Offset { get; set; }
    public uint Type { get; set; }
    /// <summary>Null for relocations against symbol index 0.</summary>
    public ElfSymbol? Symbol { get; set; }
    /// <summary>For SHT_REL sections the addend is implicit (stored in place) and this is 0.</summary>
    public long Addend { get; set; }

    public override string ToString() => $"{Offset:x} type {Type} {Symbol?.Name ?? "*ABS*"}{Addend:+0;-0}";
}
