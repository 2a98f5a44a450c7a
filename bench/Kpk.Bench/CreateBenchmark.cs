using System.Diagnostics;
using System.Text.Json;

namespace Kpk.Bench;

/// <summary>
/// Wall time of <c>kpk create</c> for a one-function patch on a tree whose original build is
/// cached, beside the floor: compiling the changed file twice (original and patched, with kpk's
/// flags, in the cached build) plus building a module with kbuild. Uses the kernel tier's kernel
/// unless told otherwise; run <c>tests/kernel/run 01</c> once first.
/// </summary>
public static class CreateBenchmark
{
    public static int Run(string[] args)
    {
        if (Arg(args, "--kernel") is { } release) return RunDistribution(args, release);
        string repo = FindRepo();
        string build = Arg(args, "--build") ?? ReadOr(Path.Combine(repo, ".build", "kernel-build-dir"))
            ?? throw new InvalidOperationException("no --build and no .build/kernel-build-dir: run tests/kernel/run 01 first");
        string patch = Path.GetFullPath(Arg(args, "--patch") ?? Path.Combine(repo, "tests", "kernel", "cases", "01-proc-string", "cmdline.patch"));
        string changedFile = Arg(args, "--file") ?? "fs/proc/cmdline.c";
        string cacheRoot = Environment.GetEnvironmentVariable("KPK_CACHE") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "kpk");
        string source = Arg(args, "--source") ?? Directory.EnumerateDirectories(Path.Combine(cacheRoot, "kernel-tier"), "src-*")
            .Select(d => Path.Combine(d, "linux-source-6.1")).First(Directory.Exists);
        int runs = int.Parse(Arg(args, "--runs") ?? "3");

        var kpk = new List<TimeSpan>();
        string? entry = null;
        for (int i = 0; i < runs; i++)
        {
            string outDir = Directory.CreateTempSubdirectory("kpk-bench-create-").FullName;
            var t = Timed("kpk create", Path.Combine(repo, "kpk"), ["create", "--config", build, "--vmlinux", Path.Combine(build, "vmlinux"),
                "--patch", patch, "-n", "kpk_bench", "-o", outDir, "--json", source], null, out string json);
            using (var doc = JsonDocument.Parse(json))
            {
                if (!doc.RootElement.GetProperty("cache_reused").GetBoolean())
                    Console.WriteLine("  (first run built the original; not a warm figure)");
                entry = doc.RootElement.GetProperty("cache_entry").GetString();
            }
            Directory.Delete(outDir, recursive: true);
            kpk.Add(t);
        }

        // The floor, in the cached build kpk just used: the changed object compiled twice, then a module.
        if (entry == null || !Directory.Exists(entry)) throw new InvalidOperationException($"kpk create named no cache entry ({entry})");
        string shadow = Path.Combine(entry, "src"), obj = Path.Combine(entry, "obj");
        string o = Path.ChangeExtension(changedFile, ".o");
        var compile = CompileTwice(obj, o, $"compile {o}", "make", ["-C", shadow, "O=" + obj, "KCFLAGS=-ffunction-sections -fdata-sections", o]);
        // The same compile without make around it: kbuild's recorded command line, run bare. What
        // separates the two is kbuild's own walk (prepare, objtool, scripts/), which any build that
        // lets kbuild decide what to rebuild pays once.
        var bare = CompileTwice(obj, o, $"bare compile {o}", "sh", ["-c", BareCompileCommand(obj, o)]);
        File.Delete(DotFile(obj, o, ".d")); // kbuild's fixdep would have folded it into the .cmd

        string mod = Directory.CreateTempSubdirectory("kpk-bench-mod-").FullName;
        File.WriteAllText(Path.Combine(mod, "m.c"), "#include <linux/module.h>\nstatic int __init m_init(void) { return 0; }\nmodule_init(m_init);\nMODULE_LICENSE(\"GPL\");\n");
        File.WriteAllText(Path.Combine(mod, "Makefile"), "obj-m += m.o\n");
        var module = Timed("build a module", "make", ["-C", obj, "M=" + mod, "modules"], null, out _);
        Directory.Delete(mod, recursive: true);

        var floor = compile + module;
        var best = kpk.Min();
        Console.WriteLine($"kpk create, cached original ({runs} runs): best {best.TotalSeconds:F1} s, median {kpk.Order().ElementAt(kpk.Count / 2).TotalSeconds:F1} s");
        Console.WriteLine($"floor: compile {o} twice {compile.TotalSeconds:F1} s + module build {module.TotalSeconds:F1} s = {floor.TotalSeconds:F1} s");
        Console.WriteLine($"ratio: {best.TotalSeconds / floor.TotalSeconds:F2}x the floor (aim: 1.5x)");
        var bareFloor = bare + module;
        Console.WriteLine($"bare floor: compile {o} twice without make {bare.TotalSeconds:F1} s + module build {module.TotalSeconds:F1} s = {bareFloor.TotalSeconds:F1} s; ratio {best.TotalSeconds / bareFloor.TotalSeconds:F2}x");
        return 0;
    }

    /// <summary>
    /// <c>kpk create --kernel RELEASE</c> on Debian's own kernel: cold (only the downloaded
    /// packages kept: the unpacked source and the prepared tree removed first) and warm (tree
    /// prepared), beside how many objects it compiled and how many a full build of that config
    /// compiles (counted from the kernel it produced).
    /// </summary>
    private static int RunDistribution(string[] args, string release)
    {
        string repo = FindRepo();
        string patch = Path.GetFullPath(Arg(args, "--patch") ?? Path.Combine(repo, "tests", "kernel", "cases", "01-proc-string", "cmdline.patch"));
        string cacheRoot = Environment.GetEnvironmentVariable("KPK_CACHE") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "kpk");
        int runs = int.Parse(Arg(args, "--runs") ?? "3");
        string Create(string what)
        {
            string outDir = Directory.CreateTempSubdirectory("kpk-bench-create-").FullName;
            try
            {
                Timed(what, Path.Combine(repo, "kpk"), ["create", "--kernel", release, "--patch", patch, "-n", "kpk_bench", "-o", outDir, "--json"], null, out string json);
                return json;
            }
            finally { Directory.Delete(outDir, recursive: true); }
        }
        // Once to know the entry (and fetch the packages), then cold: the tree and prepared build removed.
        string first = Create("kpk create (first)");
        string entry = JsonDocument.Parse(first).RootElement.GetProperty("cache_entry").GetString()!;
        int compiled = JsonDocument.Parse(first).RootElement.GetProperty("changed_objects").GetArrayLength();
        var (vmlinuxObjects, modules) = CountFullBuild(cacheRoot, release);
        if (!args.Contains("--warm-only"))
        {
            Directory.Delete(entry, recursive: true);
            foreach (var src in Directory.EnumerateDirectories(Path.Combine(cacheRoot, "sources"), "linux-source-*")) Directory.Delete(src, recursive: true);
        }
        var cold = args.Contains("--warm-only") ? TimeSpan.Zero : TimeCreate(Create, "kpk create, cold (packages downloaded, nothing unpacked or prepared)");
        var warm = Enumerable.Range(0, runs).Select(i => TimeCreate(Create, $"kpk create, warm {i + 1}")).ToList();
        Console.WriteLine($"kpk create --kernel {release}, one-function patch: cold {cold.TotalSeconds:F0} s, warm best {warm.Min().TotalSeconds:F1} s, median {warm.Order().ElementAt(warm.Count / 2).TotalSeconds:F1} s (aim: cold < 180 s, warm < 20 s)");
        Console.WriteLine($"objects compiled: {compiled} (original and patched); a full build of this config compiles {vmlinuxObjects} for vmlinux (its file symbols) and {modules} modules of one object or more");
        return 0;
    }

    private static TimeSpan TimeCreate(Func<string, string> create, string what)
    {
        var clock = Stopwatch.StartNew();
        create(what);
        return clock.Elapsed;
    }

    /// <summary>
    /// What a full build of the distribution's config compiles, counted from what it produced:
    /// the file symbols of its vmlinux (one per compiled source) and its module files (each of
    /// one object or more).
    /// </summary>
    private static (int Vmlinux, int Modules) CountFullBuild(string cacheRoot, string release)
    {
        string dir = Directory.EnumerateDirectories(Path.Combine(cacheRoot, "debian"), release + "_*").First();
        int files = Kpk.Diff.ParentSymbolTable.Load(Path.Combine(dir, "vmlinux-" + release)).Blocks.Count;
        string modules = File.Exists($"/boot/vmlinuz-{release}") ? $"/lib/modules/{release}" : Path.Combine(dir, "image", "lib", "modules", release);
        int kos = Directory.EnumerateFiles(modules, "*.ko*", SearchOption.AllDirectories).Count();
        return (files, kos);
    }

    private static TimeSpan Timed(string what, string file, IEnumerable<string> args, string? cwd, out string stdout)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cwd ?? Environment.CurrentDirectory };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        clock.Stop();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{what} failed ({p.ExitCode}):\n{err.Result}");
        Console.WriteLine($"  {what}: {clock.Elapsed.TotalSeconds:F1} s");
        return clock.Elapsed;
    }

    /// <summary>
    /// Times a compile of OBJECT run twice in the cached build, with the cache's own copy set aside
    /// (and put back whatever happens), so each run really compiles.
    /// </summary>
    private static TimeSpan CompileTwice(string objDir, string objectPath, string what, string file, IEnumerable<string> args)
    {
        string objFile = Path.Combine(objDir, objectPath), aside = objFile + ".bench-aside";
        File.Move(objFile, aside);
        var total = TimeSpan.Zero;
        try
        {
            for (int i = 0; i < 2; i++)
            {
                if (File.Exists(objFile)) File.Delete(objFile);
                total += Timed(what, file, args, objDir, out _);
            }
        }
        finally
        {
            File.Move(aside, objFile, overwrite: true);
        }
        return total;
    }

    /// <summary>kbuild's hidden companion of OBJECT: <c>dir/.name.o.cmd</c>, <c>dir/.name.o.d</c>.</summary>
    private static string DotFile(string objDir, string objectPath, string suffix) =>
        Path.Combine(objDir, Path.GetDirectoryName(objectPath)!, "." + Path.GetFileName(objectPath) + suffix);

    /// <summary>The compile command kbuild recorded for OBJECT in its .cmd file (cmd_ or savedcmd_ line).</summary>
    private static string BareCompileCommand(string objDir, string objectPath)
    {
        string cmdFile = DotFile(objDir, objectPath, ".cmd");
        foreach (var line in File.ReadLines(cmdFile))
            foreach (var prefix in new[] { $"cmd_{objectPath} := ", $"savedcmd_{objectPath} := " })
                if (line.StartsWith(prefix, StringComparison.Ordinal)) return line[prefix.Length..];
        throw new InvalidOperationException($"{cmdFile} records no command for {objectPath}");
    }

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string? ReadOr(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : null;

    private static string FindRepo()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "kpk.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("run from the kpk checkout");
    }
}
