using System.Diagnostics;
using Kpk.Core;
using Kpk.Diff;
using Kpk.Elf;

namespace Kpk.Build.Demo;

/// <summary>
/// The demo without a kernel: apply the bundled patch to the bundled source, compile both
/// versions with the kernel's live-patching flags, diff them, and show the patch object.
/// </summary>
public static class ObjectDemo
{
    public const string Flags = "-O2 -ffunction-sections -fdata-sections -pg -mfentry -mrecord-mcount -fno-PIE " +
                                "-mcmodel=kernel -mno-red-zone -fno-asynchronous-unwind-tables -fno-stack-protector -fno-common";

    public sealed record Outcome(DiffResult Result, string PatchObject, string WorkDirectory);

    public static Outcome Run(string exampleDir, string workDir, IReporter reporter, CancellationToken cancel)
    {
        string source = Path.Combine(exampleDir, "uptime.c");
        string patch = Path.Combine(exampleDir, "uptime.patch");
        if (!File.Exists(source) || !File.Exists(patch))
            throw new KpkException($"{exampleDir}: the bundled example (uptime.c, uptime.patch) is missing");
        string orig = Directory.CreateDirectory(Path.Combine(workDir, "orig")).FullName;
        string patched = Directory.CreateDirectory(Path.Combine(workDir, "patched")).FullName;
        File.Copy(source, Path.Combine(orig, "uptime.c"), overwrite: true);
        File.Copy(source, Path.Combine(patched, "uptime.c"), overwrite: true);

        reporter.Stage("applying uptime.patch");
        Exec("patch", $"-p1 --batch -i {patch}", patched, cancel);
        reporter.Stage($"compiling the original and the patched uptime.c (gcc {Flags})");
        Exec("gcc", $"{Flags} -c uptime.c -o uptime.o", orig, cancel);
        Exec("gcc", $"{Flags} -c uptime.c -o uptime.o", patched, cancel);

        reporter.Stage("diffing the two objects");
        string origObject = Path.Combine(orig, "uptime.o");
        using var o = ElfObject.Read(origObject);
        using var p = ElfObject.Read(Path.Combine(patched, "uptime.o"));
        var result = ObjectDiffer.Diff(o, p, new DiffOptions { Parent = ParentSymbolTable.Load(origObject), PatchName = "kpk_demo" }, reporter);
        string output = Path.Combine(workDir, "kpk_demo.o");
        if (result.Output != null) ElfWriter.Write(result.Output, output, new ElfWriteOptions { CompactStringTables = true });
        return new Outcome(result, output, workDir);
    }

    private static void Exec(string tool, string args, string dir, CancellationToken cancel)
    {
        var psi = new ProcessStartInfo(tool, args) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        Process process;
        try { process = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new KpkException($"{tool} is not installed (the demo needs gcc and patch: apt-get install gcc patch)");
        }
        using (process)
        {
            var err = process.StandardError.ReadToEndAsync(cancel);
            var output = process.StandardOutput.ReadToEndAsync(cancel);
            process.WaitForExitAsync(cancel).GetAwaiter().GetResult();
            if (process.ExitCode != 0)
                throw new KpkException($"{tool} {args} failed in {dir}:\n{output.Result}{err.Result}");
        }
    }
}
