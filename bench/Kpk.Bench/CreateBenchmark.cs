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
        string objFile = Path.Combine(obj, o), aside = objFile + ".bench-aside";
        File.Move(objFile, aside);
        var compile = TimeSpan.Zero;
        try
        {
            for (int i = 0; i < 2; i++)
            {
                if (File.Exists(objFile)) File.Delete(objFile);
                compile += Timed($"compile {o}", "make", ["-C", shadow, "O=" + obj, "KCFLAGS=-ffunction-sections -fdata-sections", o], null, out _);
            }
        }
        finally
        {
            File.Move(aside, objFile, overwrite: true);
        }
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
        return 0;
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
