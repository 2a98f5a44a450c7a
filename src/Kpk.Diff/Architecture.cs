using Kpk.Core;
using Kpk.Elf;

namespace Kpk.Diff;

/// <summary>The architectures kpk knows, as a set (the special-section table says where each table exists).</summary>
[Flags]
public enum Arches
{
    None = 0,
    X86_64 = 1,
    Ppc64le = 2,
    Aarch64 = 4,
    All = X86_64 | Ppc64le | Aarch64,
}

/// <summary>How a relocation refers to its target, as far as the differ cares.</summary>
internal enum ReferenceKind
{
    /// <summary>Neither of the below: the reference is compared as it is, never re-pointed.</summary>
    Other,
    /// <summary>An absolute address (a pointer, or an address built from parts by instructions).</summary>
    Absolute,
    /// <summary>Relative to the place it is stored at (a call, a branch, a PC-relative load).</summary>
    PcRelative,
}

/// <summary>
/// Everything the differ and the module stage need to know about one processor architecture,
/// chosen from the ELF machine: its relocations (their kinds, where a reference really points,
/// which ones the kernel's module loader applies), its instructions (boundaries, and what a
/// __LINE__ load looks like), how a function starts (the ftrace call and what precedes it), its
/// special-section entry sizes, and what else the objects of that architecture hold (TOCs,
/// mapping symbols). Adding an architecture is one subclass, registered in <see cref="For"/>.
/// </summary>
public abstract class Architecture
{
    /// <summary>Every architecture kpk knows.</summary>
    public static IReadOnlyList<Architecture> Known { get; } = [X86_64Architecture.Instance, Ppc64leArchitecture.Instance, Aarch64Architecture.Instance];

    /// <summary>The architecture of an object of machine <paramref name="machine"/>; the one place an unknown one is refused.</summary>
    public static Architecture For(ushort machine, string file) =>
        Known.FirstOrDefault(a => a.Machine == machine)
        ?? throw new KpkException($"{file}: {ElfMachine.Name(machine)} objects cannot be diffed: kpk knows {string.Join(", ", Known.Select(a => a.Name))}");

    public abstract Arches Id { get; }

    /// <summary>The name users know (uname -m).</summary>
    public abstract string Name { get; }

    /// <summary>The kernel config symbol set on this architecture (the size probe guards its tables with it).</summary>
    public abstract string KernelConfig { get; }

    public abstract ushort Machine { get; }

    /// <summary>The relocation that stores a 64-bit absolute address.</summary>
    public uint Pointer64 => RelocationTypes.Pointer64(Machine)!.Value;

    public string RelocationName(uint type) => RelocationTypes.Name(Machine, type);

    /// <summary>Whether the kernel's module loader for this architecture applies this relocation type (apply_relocate_add).</summary>
    public abstract bool ModuleLoaderAccepts(uint type);

    /// <summary>The entry size of special section <paramref name="key"/> (the table's size key) when the kernel gives none.</summary>
    public abstract int DefaultEntrySize(string key);

    /// <summary>The section that lists the functions' ftrace sites, which the patch carries for its own functions.</summary>
    public abstract string TraceSiteSection { get; }

    internal abstract ReferenceKind Kind(uint type);

    /// <summary>
    /// Where a relocation really points within its symbol. Usually the addend; on x86 a
    /// PC-relative reference from code is biased by the distance to the end of its instruction.
    /// </summary>
    internal virtual long TargetOffset(Obj obj, Sec relaSec, Rela rela) => rela.Addend;

    /// <summary>The start of each instruction of a code section.</summary>
    internal abstract ulong[] InstructionStarts(byte[] code, string section, string file);

    /// <summary>Whether <paramref name="insn"/> loads an immediate into the register that carries a line-number argument.</summary>
    internal abstract bool LoadsLineNumber(ReadOnlySpan<byte> insn);

    /// <summary>Finds each function's ftrace site (sets <see cref="Sym.HasFentry"/> and <see cref="Sym.FentryOffset"/>).</summary>
    internal abstract void FindTraceSites(Obj obj);

    /// <summary>The offsets a function may start at in its own section (what its entry convention puts before it).</summary>
    internal abstract bool IsEntryOffset(Obj obj, Sym function);

    /// <summary>Whether this reference takes the address of a function (a pointer that must keep meaning the original).</summary>
    internal virtual bool TakesFunctionAddress(Rela rela) => false;

    /// <summary>Sections the patch always carries whole because code reaches all data through them (ppc64le's .toc).</summary>
    internal virtual IReadOnlyList<string> StandardSections => [];

    /// <summary>Symbols that only mark what kind of bytes follow (aarch64's $x and $d): never paired by name.</summary>
    internal virtual bool IsMappingSymbol(Sym sym) => false;

    /// <summary>Resolves references that go through a table of addresses (ppc64le's .toc) to what the table entry means.</summary>
    internal virtual void ResolveIndirections(Obj obj) { }

    /// <summary>Reasons a changed function cannot be patched on this architecture (ppc64le: sibling calls out of the module).</summary>
    internal virtual IEnumerable<string> CheckChangedFunction(Obj obj, Sym function) => [];

    public override string ToString() => Name;
}
