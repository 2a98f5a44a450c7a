namespace Kpk.Elf;

/// <summary>One entry of the symbol table of an <see cref="ElfObject"/>.</summary>
public sealed class ElfSymbol
{
    public ElfSymbol(string name) => Name = name;

    public string Name { get; set; }
    public SymbolBinding Binding { get; set; }
    public SymbolType Type { get; set; }
    /// <summary>st_other as a whole (visibility in the low bits; other bits kept as read).</summary>
    public byte Other { get; set; }
    public ulong Value { get; set; }
    public ulong Size { get; set; }

    /// <summary>The section the symbol is defined in; null when <see cref="SpecialIndex"/> applies.</summary>
    public ElfSection? Section { get; set; }

    /// <summary>
    /// When <see cref="Section"/> is null: SHN_UNDEF, SHN_ABS, SHN_COMMON, SHN_LIVEPATCH or another
    /// reserved index.
    /// </summary>
    public ushort SpecialIndex { get; set; }

    /// <summary>Index in the symbol table as read, or as last written.</summary>
    public int Index { get; internal set; }

    internal uint OriginalNameOffset { get; set; } = uint.MaxValue;

    public SymbolVisibility Visibility
    {
        get => (SymbolVisibility)(Other & 3);
        set => Other = (byte)((Other & ~3) | (int)value);
    }

    public bool IsUndefined => Section == null && SpecialIndex == SpecialSection.Undef;
    public bool IsLocal => Binding == SymbolBinding.Local;
    public bool IsFunction => Type == SymbolType.Func;

    public override string ToString() => $"#{Index} {Name}";
}
