using Kpk.Diff;
using Kpk.Elf;
using Kpk.Runtime;

namespace Kpk.Fuzz;

/// <summary>An undamaged input: an object (with the pair it belongs to, for diff-object) or a module.</summary>
public sealed record Seed(string Name, byte[] Bytes, string? Orig = null, string? Patched = null, bool IsOriginal = false, bool IsModule = false);

/// <summary>
/// The verbs that read objects, run in process as the CLI runs them: <c>elf dump</c>, <c>elf copy</c>,
/// <c>diff-object</c> (the damaged file as either side of its pair, bound to the undamaged original)
/// and <c>info</c> on a damaged <c>.ko</c>.
/// </summary>
public sealed class ElfTargets(string work)
{
    public IEnumerable<(string Target, Outcome Outcome, string Detail)> Run(Seed seed, string damaged)
    {
        string outDir = Directory.CreateDirectory(Path.Combine(work, "out")).FullName;
        yield return Judged("elf dump", damaged, null, () =>
        {
            using var obj = ElfObject.Read(damaged);
            ElfDump.WriteText(ElfDump.Describe(obj), TextWriter.Null);
            return Outcome.Accepted;
        });
        string copy = Path.Combine(outDir, "copy.o");
        yield return Judged("elf copy", damaged, outDir, () =>
        {
            using var obj = ElfObject.Read(damaged);
            ElfWriter.Write(obj, copy);
            return Outcome.Accepted;
        });
        TryDelete(copy);
        if (seed is { Orig: { } undamagedOrig, Patched: { } undamagedPatched })
        {
            string patchObject = Path.Combine(outDir, "patch.o");
            string orig = seed.IsOriginal ? damaged : undamagedOrig;
            string patched = seed.IsOriginal ? undamagedPatched : damaged;
            string parent = undamagedOrig;
            yield return Judged("diff-object", damaged, outDir, () =>
            {
                var options = new DiffOptions { Parent = ParentSymbolTable.Load(parent), PatchName = "test_fuzz" };
                using var o = ElfObject.Read(orig);
                using var p = ElfObject.Read(patched);
                var result = ObjectDiffer.Diff(o, p, options);
                if (result.Outcome != DiffOutcome.Patched) return Outcome.Answered;
                ElfWriter.Write(result.Output!, patchObject, new ElfWriteOptions { CompactStringTables = true });
                return Outcome.Accepted;
            });
            TryDelete(patchObject);
        }
        if (seed.IsModule)
            yield return Judged("info .ko", damaged, null, () =>
            {
                PatchInfo.Read(damaged).WriteText(TextWriter.Null);
                return Outcome.Accepted;
            });
    }

    private static (string, Outcome, string) Judged(string target, string named, string? outDir, Func<Outcome> verb)
    {
        var (outcome, detail) = Judge.Run(named, outDir, verb);
        return (target, outcome, detail);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { }
    }
}
