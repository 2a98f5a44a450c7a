using System.Diagnostics;
using Kpk.Tests;

namespace Kpk.Diff.Tests;

/// <summary>Runs the real toolchain (gcc, ld, readelf) for tests.</summary>
public static class Tools
{
    /// <summary>The flags that matter to live patching, as the kernel passes them on x86_64.</summary>
    public const string KernelFlags =
        "-O2 -ffunction-sections -fdata-sections -pg -mfentry -mrecord-mcount -fno-PIE -mcmodel=kernel -mno-red-zone " +
        "-fno-asynchronous-unwind-tables -fno-stack-protector -fno-common -nostdinc -w";

    public static (int Exit, string Out, string Err) Run(string file, string args, string? cwd = null)
    {
        var psi = new ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = cwd ?? Environment.CurrentDirectory,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The live-patching flags as the kernel passes them on ppc64le and aarch64 (for Debian's cross compilers).</summary>
    public static string CrossKernelFlags(string arch) => arch switch
    {
        "ppc64le" => "-O2 -fno-PIE -ffunction-sections -fdata-sections -mlittle-endian -m64 -mabi=elfv2 -mcmodel=medium " +
                     "-mno-pointers-to-nested-functions -mprofile-kernel -pg -fno-common -nostdinc -w",
        "aarch64" => "-O2 -fno-PIE -ffunction-sections -fdata-sections -fpatchable-function-entry=4,2 -mgeneral-regs-only " +
                     "-fno-common -nostdinc -w",
        _ => throw new ArgumentException($"no cross flags known for {arch}"),
    };

    /// <summary>Compiles C source for <paramref name="arch"/> with its cross compiler (which must be installed: no skipping).</summary>
    public static string CompileFor(string arch, string dir, string name, string source, string variant)
    {
        string gcc = CrossTools.ToolFor(arch, "gcc");
        string sub = Path.Combine(dir, arch, variant);
        Directory.CreateDirectory(sub);
        File.WriteAllText(Path.Combine(sub, name + ".c"), source);
        var (exit, _, err) = Run(gcc, $"{CrossKernelFlags(arch)} -c {name}.c -o {name}.o", sub);
        if (exit != 0) throw new InvalidOperationException($"{gcc} failed for {name}.c:\n{err}");
        return Path.Combine(sub, name + ".o");
    }

    /// <summary>Compiles C source to an object; the file name (and so the STT_FILE symbol) is <paramref name="name"/>.c.</summary>
    public static string Compile(string dir, string name, string source, string variant, string extraFlags = "")
    {
        string sub = Path.Combine(dir, variant);
        Directory.CreateDirectory(sub);
        string c = Path.Combine(sub, name + ".c");
        File.WriteAllText(c, source);
        string o = Path.Combine(sub, name + ".o");
        var (exit, _, err) = Run("gcc", $"{KernelFlags} {extraFlags} -c {name}.c -o {name}.o", sub);
        if (exit != 0) throw new InvalidOperationException($"gcc failed for {c}:\n{err}");
        return o;
    }

    /// <summary>readelf -a on the file must succeed with nothing on stderr; ld -r must accept it silently.</summary>
    public static void AssertToolsAccept(string obj, string prefix = "")
    {
        var (re, _, reErr) = Run("readelf", $"-aW {obj}");
        if (re != 0 || reErr.Length != 0) throw new Xunit.Sdk.XunitException($"readelf complains about {obj}: {reErr}");
        string linked = obj + ".ld.o";
        var (le, lo, leErr) = Run(CrossTools.Tool(prefix, "ld"), $"-r -o {linked} {obj}");
        if (le != 0 || leErr.Length != 0 || lo.Length != 0) throw new Xunit.Sdk.XunitException($"ld -r complains about {obj}: {leErr}{lo}");
    }
}
