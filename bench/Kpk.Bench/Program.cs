using Kpk.Bench;

// dotnet run -c Release --project bench/Kpk.Bench -- diff [--cases DIR] [--rounds N] [--synthetic 2000,8000,32000] [--pair ORIG PATCHED]
var benchmarks = new Dictionary<string, Func<string[], int>>
{
    ["diff"] = DiffBenchmark.Run,
};
if (args.Length == 0 || !benchmarks.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: Kpk.Bench {string.Join('|', benchmarks.Keys)} [options]");
    return 2;
}
return run(args[1..]);
