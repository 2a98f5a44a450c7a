using System.Diagnostics;
using Kpk.Runtime;
using Kpk.Tests;
using Xunit;

namespace Kpk.Runtime.Tests;

/// <summary>
/// The kernel's own livepatch samples, built by kbuild against the kernel tier's kernel, read
/// as the kernel would read them. Kernel tier: tests/run runs these after tests/kernel/run has
/// built the kernel, with KPK_KERNEL_BUILD naming the directory to run <c>make -C</c> in.
/// </summary>
[Trait("Tier", "kernel")]
public class KernelBuiltModuleTests
{
    private static readonly Lazy<string> Built = new(BuildSamples);

    private static string KernelBuild => Environment.GetEnvironmentVariable("KPK_KERNEL_BUILD")
        ?? throw new InvalidOperationException("KPK_KERNEL_BUILD is not set: run these through tests/run's kernel tier");

    /// <summary>Builds samples/livepatch from the kernel's own tree, plus the sample with atomic replace on.</summary>
    private static string BuildSamples()
    {
        string source = Path.Combine(KernelBuild, "source");
        string samples = Path.Combine(Directory.Exists(source) ? source : KernelBuild, "samples", "livepatch");
        string dir = Directory.CreateTempSubdirectory("kpk-samples-").FullName;
        foreach (var f in new[] { "livepatch-sample.c", "livepatch-shadow-fix1.c", "livepatch-callbacks-demo.c" })
            File.Copy(Path.Combine(samples, f), Path.Combine(dir, f));
        File.WriteAllText(Path.Combine(dir, "livepatch-replace.c"),
            File.ReadAllText(Path.Combine(samples, "livepatch-sample.c")).Replace(".objs = objs,", ".objs = objs,\n\t.replace = true,"));
        File.WriteAllText(Path.Combine(dir, "Makefile"),
            "obj-m += livepatch-sample.o livepatch-shadow-fix1.o livepatch-callbacks-demo.o livepatch-replace.o\n");
        var psi = new ProcessStartInfo("make", $"-C {KernelBuild} M={dir} KBUILD_MODPOST_WARN=1 modules") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException("building the livepatch samples failed:\n" + err.Result);
        return dir;
    }

    public static TheoryData<string, string, bool, string> Samples => new()
    {
        { "livepatch-sample.ko", "livepatch_sample", false, "vmlinux: cmdline_proc_show->livepatch_cmdline_proc_show" },
        { "livepatch-replace.ko", "livepatch_replace", true, "vmlinux: cmdline_proc_show->livepatch_cmdline_proc_show" },
        { "livepatch-shadow-fix1.ko", "livepatch_shadow_fix1", false,
            "livepatch_shadow_mod: dummy_alloc->livepatch_fix1_dummy_alloc dummy_free->livepatch_fix1_dummy_free" },
        // Two objects with callbacks only (their klp_func arrays hold just the terminator, in .bss).
        { "livepatch-callbacks-demo.ko", "livepatch_callbacks_demo", false,
            "vmlinux: | livepatch_callbacks_mod: | livepatch_callbacks_busymod: busymod_work_func->patched_work_func" },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void Modules_built_by_kbuild_are_read_as_the_kernel_would(string file, string name, bool replace, string objects)
    {
        string release = File.ReadAllText(Path.Combine(KernelBuild, "include", "config", "kernel.release")).Trim();
        var module = LivePatchModule.Read(Path.Combine(Built.Value, file));
        Assert.Equal(name, module.Name);
        Assert.Equal(release, module.KernelRelease);
        Assert.True(module.IsLivepatch);
        Assert.Equal(replace, module.Replace);
        Assert.Equal(objects, string.Join(" | ", module.Objects.Select(o =>
            $"{o.Name}:{string.Concat(o.Functions.Select(f => $" {f.Name}->{f.Replacement}"))}")));
    }
}
