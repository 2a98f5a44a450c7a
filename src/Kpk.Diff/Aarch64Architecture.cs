using System.Buffers.Binary;
using Kpk.Core;
using Kpk.Elf;

namespace Kpk.Diff;

/// <summary>
/// aarch64: fixed 4-byte instructions; no fentry call: -fpatchable-function-entry puts nops at
/// each function's start (with CALL_OPS two of them before its symbol) and lists them in
/// __patchable_function_entries; mapping symbols ($x code, $d data) mark what bytes are.
/// </summary>
internal sealed class Aarch64Architecture : Architecture
{
    public static readonly Aarch64Architecture Instance = new();

    public override Arches Id => Arches.Aarch64;
    public override string Name => "aarch64";
    public override string KernelConfig => "CONFIG_ARM64";
    public override ushort Machine => ElfMachine.Aarch64;
    public override string TraceSiteSection => "__patchable_function_entries";

    private const uint Nop = 0xd503201f;

    // arch/arm64/kernel/module.c, apply_relocate_add.
    public override bool ModuleLoaderAccepts(uint type) => type is Aarch64Relocation.None
        or (>= Aarch64Relocation.Abs64 and <= Aarch64Relocation.Ldst8AbsLo12Nc)
        or Aarch64Relocation.TstBr14 or Aarch64Relocation.CondBr19 or Aarch64Relocation.Jump26 or Aarch64Relocation.Call26
        or (>= Aarch64Relocation.Ldst16AbsLo12Nc and <= Aarch64Relocation.MovwPrelG3) or Aarch64Relocation.Ldst128AbsLo12Nc;

    // The sizes the conformance data gives for aarch64.
    public override int DefaultEntrySize(string key) => key switch
    {
        "alt" => 12, "bug" => 12, "ex" => 12, "jump" => 16, "printk" => 44,
        _ => throw new KpkException($"aarch64 has no special section with entry size '{key}'"),
    };

    internal override ReferenceKind Kind(uint type) => type switch
    {
        Aarch64Relocation.Abs64 or Aarch64Relocation.Abs32 or Aarch64Relocation.AddAbsLo12Nc
            or Aarch64Relocation.Ldst8AbsLo12Nc or Aarch64Relocation.Ldst16AbsLo12Nc or Aarch64Relocation.Ldst32AbsLo12Nc
            or Aarch64Relocation.Ldst64AbsLo12Nc or Aarch64Relocation.Ldst128AbsLo12Nc => ReferenceKind.Absolute,
        Aarch64Relocation.Prel64 or Aarch64Relocation.Prel32 or Aarch64Relocation.Call26 or Aarch64Relocation.Jump26
            or Aarch64Relocation.AdrPrelPgHi21 or Aarch64Relocation.AdrPrelLo21 => ReferenceKind.PcRelative,
        _ => ReferenceKind.Other,
    };

    internal override ulong[] InstructionStarts(byte[] code, string section, string file) => FixedWidth.Starts(code.Length);

    // mov w1, #N / mov w2, #N (movz): a line number as second or third argument.
    internal override bool LoadsLineNumber(ReadOnlySpan<byte> insn)
    {
        if (insn.Length != 4) return false;
        uint i = BinaryPrimitives.ReadUInt32LittleEndian(insn);
        return (i & 0xffe00000) == 0x52800000 && (i & 31) is 1 or 2;
    }

    internal override void FindTraceSites(Obj obj) => Analysis.FindRecordedTraceSites(obj, TraceSiteSection);

    /// <summary>With CALL_OPS, the patchable entry's first nops sit before the function's symbol.</summary>
    internal override bool IsEntryOffset(Obj obj, Sym function)
    {
        if (function.Value == 0) return true;
        if (function.Value % 4 != 0 || function.Value > 16 || function.Sec == null) return false;
        var code = function.Sec.Data;
        for (int at = 0; at < (int)function.Value; at += 4)
            if (at + 4 > code.Length || BinaryPrimitives.ReadUInt32LittleEndian(code[at..]) != Nop) return false;
        return true;
    }

    internal override bool IsMappingSymbol(Sym sym) =>
        sym.Type == SymbolType.NoType && sym.IsLocal && sym.Name.Length >= 2 && sym.Name[0] == '$' && sym.Name[1] is 'x' or 'd'
        && (sym.Name.Length == 2 || sym.Name[2] == '.');
}
