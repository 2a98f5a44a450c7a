using System.Diagnostics;
using Kpk.Diff;
using Kpk.Elf;

namespace Kpk.Fuzz;

/// <summary>
/// The fuzzing run: seeds (every conformance object, the patch objects kpk's differ writes for the
/// conformance pairs, a live patch module and kpk's own copy of it), each damaged by a seeded
/// <see cref="ElfMutator"/> and run through every verb that reads it, then crafted tarballs. The
/// same seed gives the same inputs; everything happens in this process.
/// </summary>
public sealed class FuzzRun(string work, byte[] module, string release, int seed)
{
    private readonly Random _random = new(seed);

    public static List<Seed> Seeds(string cases, byte[] module)
    {
        var seeds = new List<Seed>();
        foreach (string orig in Directory.GetFiles(cases, "*.ORIG.o").Order(StringComparer.Ordinal))
        {
            string stem = orig[..^".ORIG.o".Length];
            string? patched = new[] { stem + ".PATCHED.o", stem + ".PATCHED.FAIL.o" }.FirstOrDefault(File.Exists);
            seeds.Add(new Seed(Path.GetFileName(orig), File.ReadAllBytes(orig), orig, patched, IsOriginal: true));
            if (patched == null) continue;
            seeds.Add(new Seed(Path.GetFileName(patched), File.ReadAllBytes(patched), orig, patched));
            // What kpk writes for the pair: its patch object.
            try
            {
                using var o = ElfObject.Read(orig);
                using var p = ElfObject.Read(patched);
                var result = ObjectDiffer.Diff(o, p, new DiffOptions { Parent = ParentSymbolTable.Load(orig), PatchName = "test_fuzz" });
                if (result.Outcome == DiffOutcome.Patched)
                    seeds.Add(new Seed(Path.GetFileName(stem) + ".kpk-patch.o", ElfWriter.ToBytes(result.Output!)));
            }
            catch (Kpk.Core.KpkException) { } // a pair the differ refuses gives no patch object
        }
        seeds.Add(new Seed("kpk_fixture.ko", module, IsModule: true));
        using (var ko = ElfObject.Parse((byte[])module.Clone(), "kpk_fixture.ko"))
            seeds.Add(new Seed("kpk_fixture.kpk-copy.ko", ElfWriter.ToBytes(ko), IsModule: true));
        return seeds;
    }

    /// <summary>Runs until <paramref name="objects"/> damaged objects and <paramref name="tarballs"/> tarballs were tried, or <paramref name="budget"/> ran out.</summary>
    public Tally Run(List<Seed> seeds, int objects, int tarballs, TimeSpan budget)
    {
        var tally = new Tally();
        var clock = Stopwatch.StartNew();
        var mutator = new ElfMutator(_random);
        var elf = new ElfTargets(work);
        var tars = new TarballTargets(work, module, release, _random);
        for (int n = 0; (n < objects || n < tarballs) && clock.Elapsed < budget; n++)
        {
            if (n < objects)
            {
                // Modules are two seeds among many; give info on a .ko a fair share of the inputs.
                var modules = seeds.Where(x => x.IsModule).ToList();
                var s = _random.Next(5) == 0 && modules.Count > 0 ? modules[_random.Next(modules.Count)] : seeds[_random.Next(seeds.Count)];
                var (bytes, what) = mutator.Mutate(s.Bytes);
                string damaged = Path.Combine(work, $"fuzz-{n}-{s.Name}");
                File.WriteAllBytes(damaged, bytes);
                foreach (var (target, outcome, detail) in elf.Run(s, damaged))
                    tally.Add(new Finding(target, outcome, s.Name, what, detail));
                File.Delete(damaged);
            }
            if (n < tarballs)
            {
                var (archive, what) = tars.Craft(n);
                foreach (var (target, outcome, detail) in tars.Run(archive))
                    tally.Add(new Finding(target, outcome, Path.GetFileName(archive), what, detail));
                File.Delete(archive);
            }
        }
        return tally;
    }
}
