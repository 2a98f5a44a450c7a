using Kpk.Bench;

// dotnet run -c Release --project bench/Kpk.Bench -- diff|elf|create|fuzz [options]  (see README, "Benchmarks")
var benchmarks = new Dictionary<string, Func<string[], int>>
{
    ["diff"] = DiffBenchmark.Run,
    ["elf"] = ElfBenchmark.Run,
    ["create"] = CreateBenchmark.Run,
    ["fuzz"] = FuzzBenchmark.Run,
};
if (args.Length == 0 || !benchmarks.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: Kpk.Bench {string.Join('|', benchmarks.Keys)} [options]");
    return 2;
}
return run(args[1..]);
