using System.Diagnostics;
using Kpk.Fuzz;
using Kpk.Runtime.Tests;

namespace Kpk.Bench;

/// <summary>
/// <c>fuzz [--seconds N] [--seed S] [--cases DIR]</c>: the fuzzing harness for as long as asked
/// (default 300 s), in batches of fresh seeds; prints how many inputs it tried and how each was
/// handled. Exit 1 when any input was not handled (a crash, an error not naming the file,
/// something half-written, something read or loaded from outside).
/// </summary>
public static class FuzzBenchmark
{
    public static int Run(string[] args)
    {
        double seconds = Option(args, "--seconds") is { } s ? double.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : 300;
        int seed = Option(args, "--seed") is { } v ? int.Parse(v) : Environment.TickCount;
        string cases = Option(args, "--cases") ?? DiffBenchmark.DefaultCases();
        string work = Directory.CreateTempSubdirectory("kpk-fuzz-").FullName;
        try
        {
            string ko = Fixtures.Module(work, "kpk_fixture");
            byte[] module = File.ReadAllBytes(ko);
            File.Delete(ko);
            var seeds = FuzzRun.Seeds(cases, module);
            Console.WriteLine($"fuzz: {seeds.Count} seeds from {cases}, first seed {seed}, {seconds:0} s");
            var clock = Stopwatch.StartNew();
            var merged = new Tally();
            for (int batch = 0; clock.Elapsed.TotalSeconds < seconds; batch++)
            {
                var left = TimeSpan.FromSeconds(seconds) - clock.Elapsed;
                merged.Merge(new FuzzRun(work, module, Fixtures.Release, seed + batch).Run(seeds, 500, 200, left));
            }
            merged.Write(Console.Out);
            Console.WriteLine($"{merged.Tried / clock.Elapsed.TotalSeconds:0} inputs/s over {clock.Elapsed.TotalSeconds:0} s");
            return merged.Tried == merged.Handled ? 0 : 1;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
