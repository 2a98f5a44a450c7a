using Kpk.Build;
using Kpk.Core;
using Kpk.Series.Supported;
using Kpk.Tests;
using Xunit;

namespace Kpk.Runtime.Tests;

/// <summary>SUSE's supported: tag on real modules, what the kernel's and modprobe's settings do with it, and apply's warning.</summary>
public class SupportStatusTests
{
    [Theory]
    [InlineData("kpk_kmp_a", SupportLevel.External, "supported: external (supported by a third party)")]
    [InlineData("kpk_kmp_b", SupportLevel.Yes, "supported: yes (supported by SUSE)")]
    [InlineData("kpk_kmp_c", SupportLevel.No, "no supported tag (unsupported)")]
    public void The_tag_of_a_kbuild_module_is_read_from_its_modinfo(string module, SupportLevel level, string tag)
    {
        using var root = TestPaths.TempDir("kpk-support");
        var report = ModuleSupportReport.Read(OutOfTreeModules.Module(module), new SystemRoot(root.Path));
        Assert.Equal(level, report.Level);
        Assert.Equal(tag, report.Tag);
        Assert.Equal(5, report.Lines.Count); // no "this system" lines: the root has no /proc/sys/kernel/unsupported and no modprobe.d
    }

    [Fact]
    public void Settings_decide_as_suses_kernel_and_modprobe_do()
    {
        Assert.False(ModuleSupport.Kernel(SupportLevel.No, 0).Loads);
        Assert.Equal((true, 'N'), (ModuleSupport.Kernel(SupportLevel.No, 1).Loads, ModuleSupport.Kernel(SupportLevel.No, 1).Taint));
        Assert.Contains("silently", ModuleSupport.Kernel(SupportLevel.No, 2).Description);
        Assert.Contains("with a warning", ModuleSupport.Kernel(SupportLevel.No, 1).Description);
        foreach (int setting in new[] { 0, 1, 2 })
        {
            Assert.Equal((true, (char?)'X'), (ModuleSupport.Kernel(SupportLevel.External, setting).Loads, ModuleSupport.Kernel(SupportLevel.External, setting).Taint));
            Assert.Equal((true, (char?)null), (ModuleSupport.Kernel(SupportLevel.Yes, setting).Loads, ModuleSupport.Kernel(SupportLevel.Yes, setting).Taint));
        }
        Assert.False(ModuleSupport.Modprobe(SupportLevel.No, allowUnsupported: false).Loads);
        Assert.True(ModuleSupport.Modprobe(SupportLevel.No, allowUnsupported: true).Loads);
        Assert.True(ModuleSupport.Modprobe(SupportLevel.External, allowUnsupported: false).Loads);
    }

    [Fact]
    public void The_cli_says_what_this_system_would_do_reading_its_settings_under_the_root()
    {
        using var root = TestPaths.TempDir("kpk-support");
        Directory.CreateDirectory(Path.Combine(root.Path, "proc/sys/kernel"));
        File.WriteAllText(Path.Combine(root.Path, "proc/sys/kernel/unsupported"), "0\n");
        Directory.CreateDirectory(Path.Combine(root.Path, "lib/modprobe.d"));
        Directory.CreateDirectory(Path.Combine(root.Path, "etc/modprobe.d"));
        File.WriteAllText(Path.Combine(root.Path, "lib/modprobe.d/10-unsupported-modules.conf"), "allow_unsupported_modules 0\n");
        // /etc's file of the same name hides /lib's, as modprobe reads them.
        File.WriteAllText(Path.Combine(root.Path, "etc/modprobe.d/10-unsupported-modules.conf"), "# local\nallow_unsupported_modules 1\n");

        var r = KpkProcess.Run("supported", "--module", OutOfTreeModules.Module("kpk_kmp_c"), "--module", OutOfTreeModules.Module("kpk_kmp_a"), "--root", root.Path);

        Assert.True(r.Exit == 0, r.Err);
        Assert.Contains($"{OutOfTreeModules.Module("kpk_kmp_c")}: no supported tag (unsupported)", r.Out);
        Assert.Contains("this system: /proc/sys/kernel/unsupported is 0: refused: the kernel loads only supported modules", r.Out);
        Assert.Contains("this system: allow_unsupported_modules 1 (/etc/modprobe.d/10-unsupported-modules.conf:2): modprobe passes it to the kernel", r.Out);
        Assert.Contains("this system: /proc/sys/kernel/unsupported is 0: loads and taints the kernel with X", r.Out);

        File.WriteAllText(Path.Combine(root.Path, "etc/modprobe.d/10-unsupported-modules.conf"), "allow_unsupported_modules yes\n");
        r = KpkProcess.Run("supported", "--module", OutOfTreeModules.Module("kpk_kmp_c"), "--root", root.Path);
        Assert.NotEqual(0, r.Exit);
        Assert.Contains("10-unsupported-modules.conf:1: allow_unsupported_modules takes 0 or 1, not \"yes\"", r.Err);
        r = KpkProcess.Run("supported");
        Assert.NotEqual(0, r.Exit);
        Assert.Contains("give SUPPORTED.CONF, or --module FILE.ko", r.Err);
    }

    [Theory]
    [InlineData(null, "0", true)]
    [InlineData("external", "0", false)]
    [InlineData("yes", "0", false)]
    [InlineData(null, "1", false)]
    [InlineData(null, null, false)] // not a SUSE kernel: no /proc/sys/kernel/unsupported
    public void Apply_warns_before_loading_a_module_the_kernel_would_refuse(string? tag, string? setting, bool warns)
    {
        using var sys = new FakeSystem();
        if (setting != null) File.WriteAllText(sys.Root.Resolve(ModuleSupport.KernelSettingFile), setting + "\n");
        string ko = Fixtures.Module(sys.Work, "kpk_fixture", supported: tag);
        new PatchApplier(sys.Context()).Apply(ko, TimeSpan.FromSeconds(5), force: false);
        Assert.Equal(warns, sys.Reporter.Lines.Any(l => l.Contains("the running kernel refuses unsupported modules (/proc/sys/kernel/unsupported is 0)")));
        Assert.Equal(["kpk_fixture"], sys.Kernel.Loaded);
    }

    [Theory]
    [InlineData("external", SupportLevel.External)]
    [InlineData("yes", SupportLevel.Yes)]
    [InlineData(null, SupportLevel.No)]
    public void The_hook_kpk_create_generates_carries_the_tag_into_a_module_kbuild_builds(string? supported, SupportLevel level)
    {
        using var dir = TestPaths.TempDir("kpk-hook");
        File.WriteAllText(dir["kpk_hook.c"], HookSource.Generate("kpk_hook", [], replace: true, description: "hook", supported));
        File.WriteAllText(dir["Makefile"], "obj-m := kpk_hook.o\n");
        OutOfTreeModules.Make(dir.Path);
        var module = LivePatchModule.Read(dir["kpk_hook.ko"]);
        Assert.Equal(level, module.Support);
        Assert.True(module.IsLivepatch);
        Assert.Throws<KpkException>(() => HookSource.Generate("kpk_hook", [], true, null, "no"));
    }
}
