using System.Diagnostics;
using System.Text;
using Kpk.Diff;
using Kpk.Elf;

namespace Kpk.Bench;

/// <summary>
/// Times the differ: every conformance pair in one process, synthetic pairs of growing size (to
/// show how the cost grows with the number of sections), and any real pair named on the command line.
/// </summary>
public static class DiffBenchmark
{
    public static int Run(string[] args)
    {
        string cases = Option(args, "--cases") ?? DefaultCases();
        int rounds = int.Parse(Option(args, "--rounds") ?? "5");
        var sizes = (Option(args, "--synthetic") ?? "1000,4000,16000").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();

        // First, so the process's peak working set is this diff's own.
        VmlinuxPair(Option(args, "--vmlinux-pair") ?? DefaultVmlinuxPair());

        if (Directory.Exists(cases)) Conformance(cases, rounds);
        else Console.WriteLine($"conformance pairs: {cases} not found, skipped");

        foreach (int n in sizes) Synthetic(n);

        int pair = Array.IndexOf(args, "--pair");
        if (pair >= 0 && pair + 2 < args.Length) Pair(args[pair + 1], args[pair + 2]);
        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public static string DefaultCases()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "kpk.slnx"))) dir = dir.Parent;
        return Path.Combine(dir?.Parent?.FullName ?? ".", "shared", "conformance", "diff-object", "x86_64");
    }

    private static string DefaultVmlinuxPair() =>
        Path.Combine(Environment.GetEnvironmentVariable("KPK_CACHE") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "kpk"),
            "bench", "vmlinux-o");

    /// <summary>
    /// The whole kernel at once: vmlinux.o before and after bench/vmlinux-pair.patch (made by
    /// bench/make-vmlinux-pair), bound to its vmlinux, as LTO and IBT kernels need.
    /// </summary>
    private static void VmlinuxPair(string dir)
    {
        string orig = Path.Combine(dir, "vmlinux.o.orig"), patched = Path.Combine(dir, "vmlinux.o.patched"), vmlinux = Path.Combine(dir, "vmlinux");
        if (!File.Exists(orig) || !File.Exists(patched) || !File.Exists(vmlinux))
        {
            Console.WriteLine($"vmlinux.o pair: not in {dir} (bench/make-vmlinux-pair makes it), skipped");
            return;
        }
        DiffResult? result = null;
        int sections = 0;
        var figures = Measure.Time(() =>
        {
            using var o = ElfObject.Read(orig);
            using var p = ElfObject.Read(patched);
            sections = o.Sections.Count;
            result = ObjectDiffer.Diff(o, p, new DiffOptions { Parent = ParentSymbolTable.Load(vmlinux) });
            if (result.Output != null) ElfWriter.ToBytes(result.Output, new ElfWriteOptions { CompactStringTables = true });
        });
        Console.WriteLine($"vmlinux.o pair: {sections} sections, {Measure.Mb(new FileInfo(orig).Length)}: {result!.Outcome} in {figures.Elapsed.TotalSeconds:F2} s " +
                          $"(reading both, vmlinux's symbols, diffing, writing), allocated {Measure.Mb(figures.AllocatedBytes)}, peak working set {Measure.Mb(figures.PeakWorkingSet)}; " +
                          $"replaced {string.Join(",", result.Replaced)}; new {string.Join(",", result.New)}" +
                          (result.Errors.Count > 0 ? "; errors: " + string.Join("; ", result.Errors) : ""));
    }

    private static void Conformance(string dir, int rounds)
    {
        var pairs = Directory.GetFiles(dir, "*.ORIG.o").Order().Select(o =>
        {
            string stem = o[..^".ORIG.o".Length];
            string p = File.Exists(stem + ".PATCHED.o") ? stem + ".PATCHED.o" : stem + ".PATCHED.FAIL.o";
            return (o, p);
        }).ToList();
        var perPair = new List<double>();
        var figures = Measure.Time(() =>
        {
            for (int round = 0; round < rounds; round++)
                foreach (var (o, p) in pairs)
                {
                    var clock = Stopwatch.StartNew();
                    DiffOnce(o, p);
                    if (round > 0) perPair.Add(clock.Elapsed.TotalMilliseconds); // round 0 warms up the JIT
                }
        });
        perPair.Sort();
        Console.WriteLine($"conformance: {pairs.Count} pairs x {rounds} rounds in {figures.Elapsed.TotalSeconds:F2} s; " +
                          $"per pair (warm) median {perPair[perPair.Count / 2]:F1} ms, p95 {perPair[(int)(perPair.Count * 0.95)]:F1} ms, max {perPair[^1]:F1} ms; " +
                          $"allocated {Measure.Mb(figures.AllocatedBytes)}, peak working set {Measure.Mb(figures.PeakWorkingSet)}");
    }

    private static DiffResult DiffOnce(string orig, string patched)
    {
        using var o = ElfObject.Read(orig);
        using var p = ElfObject.Read(patched);
        var result = ObjectDiffer.Diff(o, p, new DiffOptions { Parent = ParentSymbolTable.Load(orig) });
        if (result.Output != null) ElfWriter.ToBytes(result.Output, new ElfWriteOptions { CompactStringTables = true });
        return result;
    }

    /// <summary>A file of <paramref name="functions"/> functions, each with its own section, one of them changed.</summary>
    private static void Synthetic(int functions)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"kpk-bench-synthetic-{functions}");
        Directory.CreateDirectory(dir);
        string orig = Path.Combine(dir, "orig", "synthetic.o"), patched = Path.Combine(dir, "patched", "synthetic.o");
        if (!File.Exists(orig) || !File.Exists(patched))
        {
            Compile(Path.Combine(dir, "orig"), "synthetic", Source(functions, changed: -1));
            Compile(Path.Combine(dir, "patched"), "synthetic", Source(functions, changed: functions / 2));
        }
        DiffOnce(orig, patched); // warm
        DiffResult? result = null;
        var figures = Measure.Time(() => result = DiffOnce(orig, patched));
        using var image = ElfImage.Open(orig);
        int sections = image.Sections.Count;
        Console.WriteLine($"synthetic: {functions} functions ({sections} sections) diffed in {figures.Elapsed.TotalMilliseconds:F0} ms " +
                          $"({figures.Elapsed.TotalMilliseconds * 1000 / sections:F1} µs/section), allocated {Measure.Mb(figures.AllocatedBytes)}, " +
                          $"peak working set {Measure.Mb(figures.PeakWorkingSet)}; replaced {string.Join(",", result!.Replaced)}");
    }

    private static string Source(int functions, int changed)
    {
        var sb = new StringBuilder("extern int printk(const char *, ...);\nstatic int shared_state;\n");
        for (int i = 0; i < functions; i++)
            sb.Append($"int fn_{i}(int x) {{ shared_state += x; return printk(\"fn_{i} %d\\n\", x * {(i == changed ? 7 : 3)}); }}\n");
        return sb.ToString();
    }

    private static void Compile(string dir, string name, string source)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, name + ".c"), source);
        var psi = new ProcessStartInfo("gcc", $"-O1 -ffunction-sections -fdata-sections -pg -mfentry -mrecord-mcount -fno-PIE -mcmodel=kernel -c {name}.c -o {name}.o")
        { RedirectStandardError = true, WorkingDirectory = dir };
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException("gcc failed: " + err);
    }

    private static void Pair(string orig, string patched)
    {
        DiffResult? result = null;
        var figures = Measure.Time(() => result = DiffOnce(orig, patched));
        Console.WriteLine($"pair {Path.GetFileName(orig)}: {result!.Outcome} in {figures.Elapsed.TotalMilliseconds:F0} ms, " +
                          $"allocated {Measure.Mb(figures.AllocatedBytes)}, peak working set {Measure.Mb(figures.PeakWorkingSet)}");
    }
}
