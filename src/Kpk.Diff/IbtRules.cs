using System.Buffers.Binary;
using Iced.Intel;
using Kpk.Elf;

namespace Kpk.Diff;

/// <summary>
/// Indirect branch tracking (CONFIG_X86_KERNEL_IBT): an indirect call or jump must land on an
/// ENDBR64, and objtool lists in .ibt_endbr_seal the ENDBR of every function whose address is
/// never taken, which the kernel turns into a NOP at boot. A live patch that takes the address of
/// a running-kernel function therefore needs that function to have kept its ENDBR, or the first
/// indirect call through the pointer faults (#CP). These rules decide it for each reference the
/// patch makes, the way objtool decides which ENDBR are used (tools/objtool/check.c, validate_ibt).
/// </summary>
internal sealed class IbtRules(Obj orig, DiffOptions options, List<string> fatal)
{
    private static readonly byte[] Endbr64 = [0xf3, 0x0f, 0x1e, 0xfa];
    private const uint NtGnuPropertyType0 = 5;
    private const uint GnuPropertyX86Feature1And = 0xc0000002;
    private const uint X86Feature1Ibt = 1;

    private HashSet<string>? _takenInOriginal;

    /// <summary>
    /// Whether the object was compiled for IBT (-fcf-protection=branch): gcc records it in
    /// .note.gnu.property. Kernels without CONFIG_X86_KERNEL_IBT build with -fcf-protection=none.
    /// </summary>
    public static bool CompiledForIbt(Obj obj)
    {
        var note = obj.FindSection(".note.gnu.property");
        if (note == null) return false;
        var d = note.Data;
        for (int at = 0; at + 12 <= d.Length;)
        {
            uint nameSize = BinaryPrimitives.ReadUInt32LittleEndian(d[at..]);
            uint descSize = BinaryPrimitives.ReadUInt32LittleEndian(d[(at + 4)..]);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(d[(at + 8)..]);
            int desc = at + 12 + Align(nameSize, 4);
            int next = desc + Align(descSize, 8);
            if (next > d.Length || desc > d.Length) return false;
            if (type == NtGnuPropertyType0 && nameSize == 4 && d.Slice(at + 12, 4).SequenceEqual("GNU\0"u8))
            {
                for (int p = desc; p + 8 <= desc + descSize;)
                {
                    uint prType = BinaryPrimitives.ReadUInt32LittleEndian(d[p..]);
                    uint prSize = BinaryPrimitives.ReadUInt32LittleEndian(d[(p + 4)..]);
                    if (prType == GnuPropertyX86Feature1And && prSize >= 4 && p + 12 <= d.Length)
                        return (BinaryPrimitives.ReadUInt32LittleEndian(d[(p + 8)..]) & X86Feature1Ibt) != 0;
                    p += 8 + Align(prSize, 8);
                }
            }
            at = next;
        }
        return false;
    }

    private static int Align(uint n, int to) => (int)((n + (uint)to - 1) & ~(uint)(to - 1));

    public static bool StartsWithEndbr(Sym fn) =>
        fn.Sec != null && fn.Value + 4 <= (ulong)fn.Sec.Data.Length && fn.Sec.Data.Slice((int)fn.Value, 4).SequenceEqual(Endbr64);

    /// <summary>
    /// Whether a relocation takes the address of a function (rather than calling or jumping to
    /// it): any reference from an instruction that is not a direct branch, and any reference from
    /// allocated data except the tables that point at code without meaning to branch there.
    /// </summary>
    public static bool TakesAddress(Obj obj, Sec relaSec, Rela rela, Sym target)
    {
        if (!target.IsFunc && target.Sec != null) return false;
        // Only the entry is an indirect-branch target; other places in a function are code ranges.
        if (obj.TargetOffset(relaSec, rela) != 0) return false;
        var sec = relaSec.Base!;
        if (sec.IsText)
        {
            var map = obj.Instructions.For(sec);
            int i = map.IndexContaining(rela.Offset);
            var bytes = sec.Data[(int)map.Start(i)..(int)map.End(i)].ToArray();
            var decoder = Decoder.Create(64, new ByteArrayCodeReader(bytes));
            decoder.Decode(out var insn);
            // _THIS_IP_ and the like: a function referring to itself is not an indirect-call target.
            var self = sec.Sym?.Parent ?? sec.Sym;
            if (self != null && (self == target || self == target.Parent)) return false;
            return insn.FlowControl is not (FlowControl.Call or FlowControl.UnconditionalBranch or FlowControl.ConditionalBranch
                or FlowControl.IndirectBranch or FlowControl.IndirectCall or FlowControl.Return)
                && insn.Mnemonic != Mnemonic.Nop;
        }
        if ((sec.Elf.Flags & SectionFlags.Alloc) == 0 && sec.Name != ".discard.ibt_endbr_noseal") return false;
        return !IsCodeTable(sec.Name);
    }

    /// <summary>The sections objtool's validate_ibt skips: they point at code without meaning to branch there.</summary>
    private static bool IsCodeTable(string name) =>
        (name.StartsWith(".discard", StringComparison.Ordinal) && name != ".discard.ibt_endbr_noseal")
        || name.StartsWith(".debug", StringComparison.Ordinal)
        || name.Contains("__patchable_function_entries", StringComparison.Ordinal)
        || name is ".altinstructions" or ".ibt_endbr_seal" or ".orc_unwind_ip" or ".parainstructions" or ".retpoline_sites"
            or ".smp_locks" or ".static_call_sites" or "_error_injection_whitelist" or "_kprobe_blacklist" or "__bug_table"
            or "__ex_table" or "__jump_table" or "__mcount_loc" or ".kcfi_traps" or ".call_sites" or ".return_sites" or ".cfi_sites";

    /// <summary>
    /// Checks one reference of the patch to a function. <paramref name="inPatch"/>: the reference
    /// resolves to the patch's own copy; otherwise to the running kernel's (vmlinux or the parent
    /// module), whose ENDBR must have survived sealing.
    /// </summary>
    public void CheckReference(Obj patched, Sec relaSec, Rela rela, Sym target, bool inPatch, ParentSymbolTable.FileBlock? block)
    {
        if (!TakesAddress(patched, relaSec, rela, target)) return;
        string from = Correlation.FunctionOf(relaSec);
        if (inPatch)
        {
            if (!target.IsFunc || StartsWithEndbr(target)) return;
            fatal.Add($"{from} takes the address of {target.Name}, which the patch carries without an ENDBR64 at its entry: " +
                      "an indirect call to it would fault on an IBT CPU");
            return;
        }
        string name = target.Twin?.Name ?? target.Name;
        var original = target.Twin is { Sec: not null } twin ? twin : null;
        if (!IsFunction(target, name)) return;
        // Exported functions are referenced from __ksymtab, so objtool never seals them.
        if (options.Exports.ExporterOf(name) != null) return;
        string why;
        if (original != null && !StartsWithEndbr(original))
            why = "has no ENDBR64 in the running kernel (the compiler leaves it out of a static function whose address is never taken)";
        else
        {
            bool? sealedThere = options.Parent.IsSealed(name, target.IsLocal, block);
            if (sealedThere == false) return;
            if (sealedThere == true)
                why = $"is in the IBT seal list of {options.ParentName}: its ENDBR64 is a NOP in the running kernel (its address is never taken there)";
            else if (TakenInOriginal().Contains(name))
                return; // the original object takes its address too, so objtool did not seal it
            else
                why = $"may have had its ENDBR64 sealed (made a NOP) in the running kernel: {options.Parent.Source} has no .ibt_endbr_seal list " +
                      "to tell (use the kernel's unstripped vmlinux) and nothing in the original object takes its address";
        }
        fatal.Add($"{from} takes the address of {name}, which {why}; an indirect call through that pointer would fault on an IBT CPU. " +
                  "Call it directly, or take the address of a new function of the patch that calls it");
    }

    /// <summary>Undefined symbols carry no type in the object; the parent's symbol table says whether it is a function.</summary>
    private bool IsFunction(Sym target, string name)
    {
        if (target.Sec != null || target.Twin?.Sec != null) return target.IsFunc || target.Twin?.IsFunc == true;
        return options.Parent.GlobalType(name) == SymbolType.Func;
    }

    /// <summary>The functions (by name) whose address the original object takes, so objtool kept their ENDBR in vmlinux.o.</summary>
    private HashSet<string> TakenInOriginal()
    {
        if (_takenInOriginal != null) return _takenInOriginal;
        _takenInOriginal = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sec in orig.Sections)
        {
            if (!sec.IsRela || sec.Base == null || sec.IsDebug) continue;
            foreach (var r in sec.Relas)
                if (r.Sym is { } f && (f.IsFunc || f.Sec == null) && TakesAddress(orig, sec, r, f)) _takenInOriginal.Add(f.Name);
        }
        return _takenInOriginal;
    }
}
