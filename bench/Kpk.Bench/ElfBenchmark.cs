using System.Diagnostics;
using System.Text;
using Kpk.Elf;

namespace Kpk.Bench;

/// <summary>
/// Times the ELF layer: parse and write the largest objects at hand (conformance objects, a
/// generated object of 140,000 sections, and any files named), and load the symbol table of a
/// vmlinux through the memory-mapped reader, showing how little of it reaches the managed heap.
/// </summary>
public static class ElfBenchmark
{
    public static int Run(string[] args)
    {
        var files = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        string cases = DiffBenchmark.DefaultCases();
        if (Directory.Exists(cases))
            files.AddRange(Directory.GetFiles(cases, "*.o").OrderByDescending(f => new FileInfo(f).Length).Take(3));
        files.Add(Generated());
        foreach (var f in files) ParseAndWrite(f);

        foreach (var vmlinux in args.Where(a => Path.GetFileName(a) == "vmlinux").Concat(FindVmlinux()).Distinct())
            SymbolTable(vmlinux);
        return 0;
    }

    private static void ParseAndWrite(string path)
    {
        long size = new FileInfo(path).Length;
        int sections = 0;
        byte[]? written = null;
        ElfObject.Read(path).Dispose(); // warm up
        var read = Measure.Time(() =>
        {
            using var obj = ElfObject.Read(path);
            sections = obj.Sections.Count;
        });
        var write = Measure.Time(() =>
        {
            using var obj = ElfObject.Read(path);
            written = ElfWriter.ToBytes(obj);
        });
        Console.WriteLine($"elf: {Path.GetFileName(path)} ({Measure.Mb(size)}, {sections} sections): read {read.Elapsed.TotalMilliseconds:F1} ms " +
                          $"(allocated {Measure.Mb(read.AllocatedBytes)}), read+write {write.Elapsed.TotalMilliseconds:F1} ms " +
                          $"(allocated {Measure.Mb(write.AllocatedBytes)}), peak working set {Measure.Mb(write.PeakWorkingSet)}");
    }

    private static void SymbolTable(string vmlinux)
    {
        long size = new FileInfo(vmlinux).Length;
        int count = 0;
        var figures = Measure.Time(() =>
        {
            using var image = ElfImage.Open(vmlinux);
            int symtab = image.FindSection(SectionType.SymTab);
            var symbols = image.ReadSymbols(symtab);
            int strtab = (int)image.Sections[symtab].Link;
            foreach (var s in symbols) if (image.ReadString(strtab, s.NameOffset).Length > 0) count++;
        });
        Console.WriteLine($"vmlinux symbols: {vmlinux} ({Measure.Mb(size)}): {count} named symbols loaded in {figures.Elapsed.TotalMilliseconds:F0} ms, " +
                          $"allocated {Measure.Mb(figures.AllocatedBytes)} (file is memory-mapped), peak working set {Measure.Mb(figures.PeakWorkingSet)}");
    }

    private static IEnumerable<string> FindVmlinux()
    {
        string cache = Environment.GetEnvironmentVariable("KPK_CACHE") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "kpk");
        if (!Directory.Exists(cache)) return [];
        return Directory.EnumerateFiles(cache, "vmlinux", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 4 }).Take(1);
    }

    /// <summary>An object with 70,000 functions in their own sections (140,000 sections with relocations).</summary>
    private static string Generated()
    {
        string dir = Path.Combine(Path.GetTempPath(), "kpk-bench-elf");
        Directory.CreateDirectory(dir);
        string obj = Path.Combine(dir, "many.o");
        if (File.Exists(obj)) return obj;
        var sb = new StringBuilder();
        for (int i = 0; i < 70_000; i++)
            sb.Append($".section .text.f{i},\"ax\",@progbits\n.globl f{i}\n.type f{i},@function\nf{i}: call f{(i + 1) % 70_000}\nret\n");
        File.WriteAllText(Path.Combine(dir, "many.s"), sb.ToString());
        using var p = Process.Start(new ProcessStartInfo("as", $"--64 -o {obj} {Path.Combine(dir, "many.s")}"))!;
        p.WaitForExit();
        return obj;
    }
}
