using Iced.Intel;
using Kpk.Core;
using Kpk.Elf;

namespace Kpk.Diff;

/// <summary>
/// x86-64: variable-length instructions (decoded with Iced), a call to __fentry__ as each
/// function's first instruction (or padding before it with CONFIG_CALL_PADDING), PC-relative
/// references biased by the distance to the end of their instruction.
/// </summary>
internal sealed class X86_64Architecture : Architecture
{
    public static readonly X86_64Architecture Instance = new();

    public override Arches Id => Arches.X86_64;
    public override string Name => "x86_64";
    public override string KernelConfig => "CONFIG_X86_64";
    public override ushort Machine => ElfMachine.X86_64;
    public override string TraceSiteSection => "__mcount_loc";

    // arch/x86/kernel/module.c, apply_relocate_add.
    public override bool ModuleLoaderAccepts(uint type) => type is X86_64Relocation.None or X86_64Relocation.R64
        or X86_64Relocation.R32 or X86_64Relocation.R32S or X86_64Relocation.Pc32 or X86_64Relocation.Plt32 or X86_64Relocation.Pc64;

    // The sizes the conformance data states for x86_64 (6.x kernels).
    public override int DefaultEntrySize(string key) => key switch
    {
        "bug" => 12, "ex" => 12, "jump" => 24, "alt" => 13, "para" => 16, "static_call" => 8, "orc" => 6, "printk" => 44,
        _ => throw new KpkException($"x86_64 has no special section with entry size '{key}'"),
    };

    internal override ReferenceKind Kind(uint type) => type switch
    {
        X86_64Relocation.Pc32 or X86_64Relocation.Plt32 => ReferenceKind.PcRelative,
        X86_64Relocation.R64 or X86_64Relocation.R32S => ReferenceKind.Absolute,
        _ => ReferenceKind.Other,
    };

    internal override long TargetOffset(Obj obj, Sec relaSec, Rela rela)
    {
        var text = relaSec.Base!;
        if (!text.IsText || Kind(rela.Type) != ReferenceKind.PcRelative) return rela.Addend;
        ulong next = obj.Instructions.For(text).NextInstructionAfter(rela.Offset);
        return rela.Addend + (long)(next - rela.Offset);
    }

    internal override ulong[] InstructionStarts(byte[] code, string section, string file)
    {
        var decoder = Iced.Intel.Decoder.Create(64, new ByteArrayCodeReader(code));
        decoder.IP = 0;
        var starts = new List<ulong>();
        while (decoder.IP < (ulong)code.Length)
        {
            ulong at = decoder.IP;
            decoder.Decode(out var insn);
            if (insn.IsInvalid && decoder.LastError == DecoderError.NoMoreBytes)
                throw new KpkException($"{file}: cannot decode the instruction at {section}+0x{at:x} (it runs past the section's end)");
            starts.Add(at);
        }
        return starts.ToArray();
    }

    // A line number is the second or third argument: an immediate moved to %esi or %edx.
    internal override bool LoadsLineNumber(ReadOnlySpan<byte> bytes)
    {
        var decoder = Iced.Intel.Decoder.Create(64, new ByteArrayCodeReader(bytes.ToArray()));
        decoder.Decode(out var insn);
        return insn.Code is Code.Mov_r32_imm32 or Code.Mov_r64_imm64 or Code.Mov_rm32_imm32
            && insn.Op0Kind == OpKind.Register
            && insn.Op0Register is Register.ESI or Register.EDX or Register.RSI or Register.RDX;
    }

    /// <summary>
    /// A function the livepatch core can redirect starts with a call to __fentry__ (or the nop
    /// that replaced it, recorded in __mcount_loc).
    /// </summary>
    internal override void FindTraceSites(Obj obj)
    {
        foreach (var sym in obj.Symbols)
        {
            if (!sym.IsFunc || sym.Sec?.Rela == null) continue;
            Rela? first = null;
            foreach (var r in sym.Sec.Rela.Relas)
                if (r.Offset >= sym.Value && r.Offset < sym.Value + Math.Max(sym.Size, 1) && (first == null || r.Offset < first.Offset)) first = r;
            if (first?.Sym?.Name == "__fentry__")
            {
                sym.HasFentry = true;
                // The relocation is the call's 4-byte operand, after its one-byte opcode.
                sym.FentryOffset = (long)(first.Offset - 1 - sym.Value);
            }
        }
        Analysis.FindRecordedTraceSites(obj, TraceSiteSection);
    }

    // With call padding (CONFIG_CALL_PADDING, -fpatchable-function-entry=16,16) a function
    // starts after 16 bytes of nops in its own section. Objtool names them with a __pfx_ symbol;
    // on kernels where objtool runs only on vmlinux.o and linked modules (IBT, clang LTO) the
    // objects have no __pfx_ symbols, and the compiler's own record of the padding says the same:
    // an __patchable_function_entries entry at the start of the section.
    internal override bool IsEntryOffset(Obj obj, Sym function)
    {
        if (function.Value == 0) return true;
        if (!function.IsFunc || function.Value != FunctionPaddingBytes) return false;
        if (obj.FindSymbol("__pfx_" + function.Name, function)?.Sec == function.Sec) return true;
        return PaddingStarts.GetValue(obj, FindPaddingStarts).Contains(function.Sec!)
            && function.Sec!.Data[..FunctionPaddingBytes].IndexOfAnyExcept((byte)0x90) < 0;
    }

    /// <summary>The bytes of call padding in front of each function (CONFIG_FUNCTION_PADDING_BYTES).</summary>
    private const int FunctionPaddingBytes = 16;

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Obj, HashSet<Sec>> PaddingStarts = new();

    /// <summary>Sections whose offset 0 an __patchable_function_entries entry records as the start of a function's padding.</summary>
    private static HashSet<Sec> FindPaddingStarts(Obj obj)
    {
        var starts = new HashSet<Sec>();
        foreach (var sec in obj.Sections)
        {
            if (!sec.IsRela || sec.Base?.Name != "__patchable_function_entries") continue;
            foreach (var r in sec.Relas)
                if (r.Sym is { Type: SymbolType.Section, Sec: { } target } && r.Addend == 0) starts.Add(target);
        }
        return starts;
    }

    // mov $func, %reg: code takes the function's address.
    internal override bool TakesFunctionAddress(Rela rela) => rela.Type == X86_64Relocation.R32S;
}
