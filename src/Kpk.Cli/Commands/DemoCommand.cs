using System.CommandLine;
using Kpk.Build.Demo;
using Kpk.Elf;

namespace Kpk.Cli.Commands;

/// <summary><c>kpk demo</c>: kpk's main job on a bundled example, end to end.</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var keep = new Option<bool>("--keep") { Description = "Keep the work directory and print where it is (--objects-only)" };
        var objectsOnly = new Option<bool>("--objects-only") { Description = "Without a kernel: patch, compile and diff one bundled C file, and show the patch object (seconds)" };
        var series = new Option<string>("--series")
        {
            Description = "Which of Debian's kernels: 6.12 (linux-image-6.12.*+deb12-cloud-amd64, with IBT and call thunks: Debian 13's kernel) or 6.1 (linux-image-6.1.0-*-cloud-amd64, Debian 12's)",
            DefaultValueFactory = _ => "6.12",
        };
        series.Validators.Add(r =>
        {
            string? value = r.GetValueOrDefault<string>();
            if (value is not ("6.12" or "6.1")) r.AddError($"--series: '{value}' is not one of 6.12, 6.1");
        });
        var verbose = CommonOptions.Verbose();
        var cmd = new Command("demo", "Run kpk's main job on the bundled example: live patch Debian's own kernel without building it (its parts fetched with apt, cached), boot it under qemu, show the behaviour before and after")
        {
            keep, objectsOnly, series, verbose,
        };
        cmd.SetAction(pr =>
        {
            if (!pr.GetValue(objectsOnly)) return RunKernelDemo(pr.GetValue(series)!);
            var reporter = CliRunner.Reporter(pr.GetValue(verbose));
            string examples = Path.Combine(RepoLayout.Root, "examples", "demo");
            string work = Directory.CreateTempSubdirectory("kpk-demo-").FullName;
            try
            {
                var outcome = ObjectDemo.Run(examples, work, reporter, CliRunner.Cancellation);
                var r = outcome.Result;
                Console.Out.WriteLine();
                Console.Out.WriteLine($"outcome: {r.Outcome}");
                foreach (var f in r.Functions) Console.Out.WriteLine($"  replaces {f.Name} in {f.ParentObject} (sympos {f.Sympos})");
                foreach (var f in r.New) Console.Out.WriteLine($"  new function {f}");
                foreach (var b in r.Bindings) Console.Out.WriteLine($"  binds {b.Name} in {b.ParentObject} at load time, as {b.KlpSymbolName}");
                foreach (var e in r.Errors) Console.Out.WriteLine($"  cannot patch: {e}");
                if (r.Output != null)
                {
                    Console.Out.WriteLine();
                    using var written = ElfObject.Read(outcome.PatchObject);
                    ElfDump.WriteText(ElfDump.Describe(written, withRelocations: false), Console.Out);
                }
                if (pr.GetValue(keep)) Console.Out.WriteLine($"\nwork directory: {work}");
                return r.Outcome == Kpk.Diff.DiffOutcome.Patched ? 0 : 1;
            }
            finally
            {
                if (!pr.GetValue(keep)) Directory.Delete(work, recursive: true);
            }
        });
        return cmd;
    }

    /// <summary>
    /// The whole path needs apt, kbuild and qemu, which the kernel tier's shell machinery already
    /// drives; the demo is that machinery on one example, so it runs the same script.
    /// </summary>
    private static int RunKernelDemo(string series)
    {
        string script = Path.Combine(RepoLayout.Root, "tests", "kernel", "demo");
        if (!File.Exists(script)) throw new Kpk.Core.KpkException($"{script}: missing; the kernel demo runs from a kpk checkout");
        var psi = new System.Diagnostics.ProcessStartInfo("bash") { ArgumentList = { script, series } };
        using var p = System.Diagnostics.Process.Start(psi)!;
        CliRunner.Cancellation.Register(() => { try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } });
        p.WaitForExit();
        return p.ExitCode;
    }
}

/// <summary>Where kpk's own files (examples, headers) are: beside the checkout kpk was built from.</summary>
public static class RepoLayout
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "kpk.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new Kpk.Core.KpkException($"cannot find kpk's checkout above {AppContext.BaseDirectory}");
    }
}
