using System.Buffers.Binary;
using Kpk.Core;
using Kpk.Elf;

namespace Kpk.Diff;

/// <summary>
/// ppc64le (ELFv2): fixed 4-byte instructions; each function has a global entry point that
/// sets up the TOC pointer (r2) from r12, preceded by an 8-byte .TOC. offset, and a local entry
/// point (st_other) after it; the ftrace site is a call to _mcount just after the local entry;
/// code reaches data through the .toc table of addresses; a call out of the module needs a
/// nop after it, where the module loader restores r2.
/// </summary>
internal sealed class Ppc64leArchitecture : Architecture
{
    public static readonly Ppc64leArchitecture Instance = new();

    public override Arches Id => Arches.Ppc64le;
    public override string Name => "ppc64le";
    public override string KernelConfig => "CONFIG_PPC64";
    public override ushort Machine => ElfMachine.Ppc64;
    public override string TraceSiteSection => "__mcount_loc";

    // arch/powerpc/kernel/module_64.c, apply_relocate_add (6.1).
    public override bool ModuleLoaderAccepts(uint type) => type is Ppc64Relocation.Addr32 or Ppc64Relocation.Addr64
        or Ppc64Relocation.Toc or Ppc64Relocation.Toc16 or Ppc64Relocation.Toc16Lo or Ppc64Relocation.Toc16Ds
        or Ppc64Relocation.Toc16LoDs or Ppc64Relocation.Toc16Ha or Ppc64Relocation.Rel24 or Ppc64Relocation.Rel24NoToc
        or Ppc64Relocation.Rel32 or Ppc64Relocation.Rel64 or Ppc64Relocation.TocSave or Ppc64Relocation.Entry
        or Ppc64Relocation.Rel16Ha or Ppc64Relocation.Rel16Lo;

    // The sizes the conformance data gives for ppc64le; fixup is struct fixup_entry (__ftr_fixup and friends).
    public override int DefaultEntrySize(string key) => key switch
    {
        "bug" => 24, "ex" => 8, "jump" => 24, "fixup" => 48, "printk" => 44,
        _ => throw new KpkException($"ppc64le has no special section with entry size '{key}'"),
    };

    internal override ReferenceKind Kind(uint type) => type switch
    {
        Ppc64Relocation.Rel24 or Ppc64Relocation.Rel24NoToc or Ppc64Relocation.Rel14 or Ppc64Relocation.Rel32
            or Ppc64Relocation.Rel64 or Ppc64Relocation.Rel16Ha or Ppc64Relocation.Rel16Lo => ReferenceKind.PcRelative,
        Ppc64Relocation.Addr64 or Ppc64Relocation.Addr32 => ReferenceKind.Absolute,
        _ => ReferenceKind.Other,
    };

    internal override ulong[] InstructionStarts(byte[] code, string section, string file) => FixedWidth.Starts(code.Length);

    // li r4, N / li r5, N (addi rT, 0, N): a line number as second or third argument.
    internal override bool LoadsLineNumber(ReadOnlySpan<byte> insn)
    {
        if (insn.Length != 4) return false;
        uint i = BinaryPrimitives.ReadUInt32LittleEndian(insn);
        uint rt = (i >> 21) & 31, ra = (i >> 16) & 31;
        return i >> 26 == 14 && ra == 0 && rt is 4 or 5;
    }

    /// <summary>The ftrace site: a call to _mcount in the function's first instructions (after the TOC setup).</summary>
    internal override void FindTraceSites(Obj obj)
    {
        foreach (var sym in obj.Symbols)
        {
            if (!sym.IsFunc || sym.Sec?.Rela == null) continue;
            foreach (var r in sym.Sec.Rela.Relas)
            {
                if (r.Offset < sym.Value || r.Offset >= sym.Value + 32 || r.Sym?.Name != "_mcount") continue;
                sym.HasFentry = true;
                sym.FentryOffset = (long)(r.Offset - sym.Value);
                break;
            }
        }
        Analysis.FindRecordedTraceSites(obj, TraceSiteSection);
    }

    /// <summary>The 8-byte .TOC. offset the global entry reads precedes a function that has a local entry point.</summary>
    internal override bool IsEntryOffset(Obj obj, Sym function) =>
        function.Value == 0 || (function.Value == 8 && Ppc64Abi.LocalEntryOffset(function.Elf.Other) != 0);

    internal override IReadOnlyList<string> StandardSections => [".toc"];

    /// <summary>
    /// Code loads addresses from .toc entries (R_PPC64_TOC16_HA/LO_DS against .toc + N): the entry
    /// at N, a relocation of .rela.toc, says what is meant; entry numbers move between builds.
    /// </summary>
    internal override void ResolveIndirections(Obj obj)
    {
        var toc = obj.FindSection(".toc");
        if (toc == null) return;
        var entries = new Dictionary<ulong, Rela>();
        if (toc.Rela != null)
            foreach (var r in toc.Rela.Relas) entries.TryAdd(r.Offset, r);
        var data = toc.Data;
        foreach (var sec in obj.Sections)
        {
            if (!sec.IsRela || sec.IsDebug || sec == toc.Rela) continue;
            foreach (var rela in sec.Relas)
            {
                if (rela.Sym == null || rela.Sym.Sec != toc || rela.Sym.Type != SymbolType.Section || rela.Addend < 0) continue;
                ulong at = (ulong)rela.Addend;
                if (entries.TryGetValue(at, out var entry)) rela.Via = entry;
                else if (at + 8 <= (ulong)data.Length) rela.ViaConstant = BinaryPrimitives.ReadUInt64LittleEndian(data[(int)at..]);
            }
        }
    }

    /// <summary>
    /// A call out of the patch module goes through a stub that switches r2 to the callee's TOC;
    /// the module loader restores r2 in the nop after the call. A tail call (b, not bl) has no
    /// such slot and would return with the wrong TOC (kpatch refuses these too).
    /// </summary>
    internal override IEnumerable<string> CheckChangedFunction(Obj obj, Sym function)
    {
        var reasons = new List<string>();
        if (function.Sec?.Rela == null) return reasons;
        var code = function.Sec.Data;
        foreach (var r in function.Sec.Rela.Relas)
        {
            if (r.Type != Ppc64Relocation.Rel24 || r.Sym == null || r.Offset + 4 > (ulong)code.Length) continue;
            if (r.Sym.Sec is { Include: true } && r.Sym.Status != Status.Same) continue; // carried: same TOC
            if (r.Sym.Sec == function.Sec) continue;
            uint insn = BinaryPrimitives.ReadUInt32LittleEndian(code[(int)r.Offset..]);
            bool link = (insn & 1) != 0;
            if (!link)
                reasons.Add($"function {function.Name} has a sibling call (a tail branch) to {r.Sym.Name} at offset 0x{r.Offset - function.Value:x}: " +
                             $"it cannot return through the module's TOC; add __attribute__((optimize(\"-fno-optimize-sibling-calls\"))) to {function.Name}");
        }
        return reasons;
    }
}

/// <summary>Instruction boundaries of a fixed-width (4-byte) instruction set.</summary>
internal static class FixedWidth
{
    public static ulong[] Starts(int length)
    {
        var starts = new ulong[length / 4];
        for (int i = 0; i < starts.Length; i++) starts[i] = (ulong)i * 4;
        return starts;
    }
}
