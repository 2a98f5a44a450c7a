using Kpk.Cli.Compat;
using Xunit;

namespace Kpk.Runtime.Tests;

/// <summary>
/// kpatch-build command lines from kpatch's own documentation (README, man page, usage text, FAQ),
/// translated into kpk create's request.
/// </summary>
public class KpatchBuildCompatTests : IDisposable
{
    private readonly CompatMachine _m = new();
    public void Dispose() => _m.Dispose();

    private KpatchBuildPlan Translate(params string[] args) => KpatchBuild.Translate(args, _m.Host);

    private CompatExit Fails(params string[] args) => Assert.Throws<CompatExit>(() => Translate(args));

    /// <summary>A kernel tree as kpatch-build -s expects it: its vmlinux (with a banner) and .config.</summary>
    private string Tree()
    {
        string src = _m.Dir("linux");
        _m.File("linux/vmlinux", "Linux version 6.1.0-13-amd64 (gcc 12)");
        _m.File("linux/.config", "CONFIG_LIVEPATCH=y\n");
        _m.File("linux/Makefile", "");
        return src;
    }

    [Fact]
    public void Readme_quick_start_on_debian_takes_the_running_kernel_and_its_debug_vmlinux()
    {
        // kpatch README: "kpatch-build meminfo-string.patch" (Debian: linux-image-$(uname -r)-dbg).
        string patch = _m.File("meminfo-string.patch", "--- a/x\n+++ b/x\n");
        _m.SystemFiles.Add("/usr/lib/debug/boot/vmlinux-6.1.0-13-amd64");
        _m.SystemFiles.Add("/boot/config-6.1.0-13-amd64");
        var plan = Translate("meminfo-string.patch");
        Assert.Equal("livepatch-meminfo-string", plan.ModuleName);
        Assert.Equal([
            "--kernel=6.1.0-13-amd64", "--patch=" + patch, "--config=/boot/config-6.1.0-13-amd64",
            "--vmlinux=/usr/lib/debug/boot/vmlinux-6.1.0-13-amd64", "--name=livepatch-meminfo-string", "--output=" + _m.Cwd,
        ], plan.CreateArguments);
    }

    [Fact]
    public void Without_the_debug_vmlinux_installed_the_release_is_left_to_kpk_to_fetch()
    {
        _m.File("fix.patch");
        var plan = Translate("-a", "6.1.0-18-amd64", "fix.patch");
        Assert.Equal("--kernel=6.1.0-18-amd64", plan.CreateArguments[0]);
        Assert.DoesNotContain(plan.CreateArguments, a => a.StartsWith("--vmlinux", StringComparison.Ordinal) || a.StartsWith("--config", StringComparison.Ordinal));
        var (r, pending) = CompatMachine.Request(plan.CreateArguments);
        Assert.Empty(pending);
        Assert.Equal(("6.1.0-18-amd64", (string?)null, "livepatch-fix"), (r.KernelRelease, r.KernelSource, r.Name));
    }

    [Fact]
    public void Sourcerpm_on_debian_is_the_kernel_source_package_for_the_running_release()
    {
        string tarball = _m.File("linux-source-6.1.tar.xz");
        _m.File("fix.diff");
        var plan = Translate("--sourcerpm", "linux-source-6.1.tar.xz", "fix.diff");
        Assert.Equal(["--kernel=6.1.0-13-amd64", "--source=" + tarball], plan.CreateArguments.Take(2));
        Assert.Equal("livepatch-fix", plan.ModuleName);
        var (r, _) = CompatMachine.Request(plan.CreateArguments);
        Assert.Equal(("6.1.0-13-amd64", tarball), (r.KernelRelease, r.KernelSource));
    }

    [Fact]
    public void Sourcedir_vmlinux_config_jobs_targets_name_output_as_the_usage_text_lists_them()
    {
        string src = Tree();
        string outDir = _m.Dir("out");
        string patch = _m.File("cve.patch");
        string vmlinux = _m.File("build/vmlinux", "Linux version 6.1.0-13-amd64");
        string config = _m.File("build/.config", "CONFIG_LIVEPATCH=y\n");
        var plan = Translate("-s", "linux", "-c", "build/.config", "-v", "build/vmlinux", "-j", "4", "-t", "vmlinux", "-t", "modules",
            "-n", "cve fix!", "-o", "out", "-R", "--skip-compiler-check", "cve.patch");
        Assert.Equal("cve-fix-", plan.ModuleName); // module_name_string: other characters become '-'
        Assert.Contains("Using source directory at " + src, plan.Notices);
        Assert.Contains("WARNING: Skipping compiler version matching check (not recommended)", plan.Notices);
        var (r, pending) = CompatMachine.Request(plan.CreateArguments);
        Assert.Empty(pending);
        Assert.Equal(src, r.KernelSource);
        Assert.Equal([patch], r.Patches);
        Assert.Equal((config, vmlinux, 4), (r.Config, r.Vmlinux, r.Jobs));
        Assert.Equal(["vmlinux", "modules"], r.Targets);
        Assert.Equal(("cve-fix-", outDir, false, true), (r.Name, r.OutputDirectory, r.Replace, r.SkipCompilerCheck));
    }

    [Fact]
    public void Sourcedir_alone_defaults_to_its_vmlinux_and_config()
    {
        string src = Tree();
        _m.File("a.patch");
        _m.File("b.patch");
        var (r, _) = CompatMachine.Request(Translate("--sourcedir=linux", "a.patch", "b.patch").CreateArguments);
        Assert.Equal(Path.Combine(src, "vmlinux"), r.Vmlinux);
        Assert.Null(r.Config); // create reads SRC/.config, as kpatch-build does
        Assert.Equal("livepatch-patch", r.Name); // several patches: "patch"
        Assert.Equal(2, r.Patches.Count);
    }

    [Fact]
    public void Options_bundle_abbreviate_and_mix_with_patches_as_getopt_allows()
    {
        Tree();
        _m.File("fix.patch");
        var plan = Translate("fix.patch", "-dR", "--sourced", "linux", "-j8", "--non", "-dd");
        var (r, _) = CompatMachine.Request(plan.CreateArguments);
        Assert.False(r.Replace);
        Assert.Equal(8, r.Jobs);
        Assert.True(r.SkipCleanup); // -d keeps the scratch files
        Assert.Equal(["DEBUG mode enabled", "Using source directory at " + Path.Combine(_m.Cwd, "linux")], plan.Notices);
        Assert.Equal(2, plan.CreateArguments.Count(a => a == "--verbose"));
    }

    [Fact]
    public void Faq_out_of_tree_module_sample_invocation()
    {
        // "kpatch-build --oot-module-src ~/test/ --target default --oot-module /lib/modules/$(uname -r)/extra/test.ko test.patch"
        string modSrc = _m.Dir("test");
        string ko = _m.File("extra/test.ko");
        _m.ModuleReleases[ko] = "6.1.0-13-amd64";
        _m.File("test.patch");
        _m.SystemFiles.Add("/usr/lib/debug/boot/vmlinux-6.1.0-13-amd64");
        var plan = Translate("--oot-module-src", "test/", "--target", "default", "--oot-module", "extra/test.ko", "test.patch");
        // The release comes from the module's vermagic; source, vmlinux and config are Debian's for it.
        Assert.Equal([
            "/lib/modules/6.1.0-13-amd64/build", "--patch=" + Path.Combine(_m.Cwd, "test.patch"), "--config=/boot/config-6.1.0-13-amd64",
            "--vmlinux=/usr/lib/debug/boot/vmlinux-6.1.0-13-amd64", "--target=default", "--oot-module=" + ko, "--oot-module-src=" + modSrc,
            "--name=livepatch-test", "--output=" + _m.Cwd,
        ], plan.CreateArguments);
    }

    [Fact]
    public void Out_of_tree_module_without_its_source_and_without_debug_vmlinux_fail_as_kpatch_build_does()
    {
        string ko = _m.File("test.ko");
        _m.ModuleReleases[ko] = "6.1.0-13-amd64";
        _m.File("test.patch");
        Assert.Equal("ERROR: --oot-module requires --oot-module-src\n", Fails("--oot-module", "test.ko", "test.patch").Stderr);
        _m.Dir("src");
        Assert.Equal("ERROR: linux-image-6.1.0-13-amd64-dbg not installed.\n", Fails("--oot-module", "test.ko", "--oot-module-src", "src", "test.patch").Stderr);
    }

    [Theory]
    [InlineData("ERROR: patch file 'missing.patch' not found.\n", "missing.patch")]
    [InlineData("ERROR: source dir 'nowhere' not found.\n", "-s", "nowhere", "p.patch")]
    [InlineData("ERROR: config file 'nope' not found.\n", "-c", "nope", "p.patch")]
    [InlineData("ERROR: vmlinux file 'nope' not found.\n", "--vmlinux=nope", "p.patch")]
    [InlineData("ERROR: Invalid number of make jobs 'x'.\n", "-j", "x", "p.patch")]
    [InlineData("ERROR: Invalid number of make jobs '0'.\n", "-j0", "p.patch")]
    [InlineData("ERROR: output dir 'nope' not found.\n", "-o", "nope", "p.patch")]
    [InlineData("kpatch-build: unrecognized option '--frobnicate'\nERROR: getopt failed.\n", "--frobnicate", "p.patch")]
    [InlineData("kpatch-build: invalid option -- 'x'\nERROR: getopt failed.\n", "-x", "p.patch")]
    [InlineData("kpatch-build: option requires an argument -- 'j'\nERROR: getopt failed.\n", "p.patch", "-j")]
    [InlineData("kpatch-build: option '--skip' is ambiguous; possibilities: '--skip-gcc-check' '--skip-compiler-check' '--skip-cleanup'\nERROR: getopt failed.\n", "--skip", "p.patch")]
    public void Bad_command_lines_get_kpatch_builds_messages_and_exit_1(string stderr, params string[] args)
    {
        _m.File("p.patch");
        var e = Fails(args);
        Assert.Equal((1, stderr), (e.Code, e.Stderr));
    }

    [Fact]
    public void No_patch_prints_the_usage_and_help_exits_0()
    {
        var none = Fails("-j", "2");
        Assert.Equal(1, none.Code);
        Assert.StartsWith("ERROR: no patch file(s) specified\nusage: kpatch-build [options] <patch1 ... patchN>\n", none.Stderr);
        var help = Fails("--help");
        Assert.Equal((0, KpatchBuild.Usage), (help.Code, help.Stderr));
        Assert.Contains("-R, --non-replace", help.Stderr);
    }

    [Fact]
    public void Incompatible_options_are_refused_in_kpatch_builds_order()
    {
        Tree();
        _m.File("p.patch");
        _m.File("vmlinux");
        _m.File("src.tar.xz");
        Assert.Equal("ERROR: --archversion is incompatible with --vmlinux.\n", Fails("-a", "6.1.0-9-amd64", "-v", "vmlinux", "p.patch").Stderr);
        Assert.Equal("ERROR: --archversion is incompatible with --sourcerpm\n", Fails("-a", "6.1.0-9-amd64", "-r", "src.tar.xz", "p.patch").Stderr);
        Assert.Equal("ERROR: --archversion is incompatible with --sourcedir\n", Fails("-a", "6.1.0-9-amd64", "-s", "linux", "p.patch").Stderr);
    }

    [Fact]
    public void Deprecated_skip_gcc_check_still_works_and_says_so()
    {
        _m.File("p.patch");
        var plan = Translate("--skip-gcc-check", "--skip-cleanup", "p.patch");
        Assert.Equal(["DEPRECATED: --skip-gcc-check is deprecated, use --skip-compiler-check instead",
            "WARNING: Skipping compiler version matching check (not recommended)", "Skipping cleanup"], plan.Notices);
        Assert.Contains("--skip-compiler-check", plan.CreateArguments);
        Assert.Contains("--skip-cleanup", plan.CreateArguments);
    }

    [Theory]
    [InlineData("0001-proc-fix.patch", "livepatch-0001-proc-fix")]
    [InlineData("CVE-2024-1234.diff", "livepatch-CVE-2024-1234")]
    [InlineData("fix.v2.patch", "livepatch-fix-v2")]
    [InlineData("fix.patch.gz", "livepatch-fix-patch-gz")] // only .patch and .diff are dropped
    [InlineData("a-very-long-name-of-a-patch-that-goes-on-and-on-and-on.patch", "livepatch-a-very-long-name-of-a-patch-that-goes-")]
    public void Default_module_names_follow_kpatch_builds_rules(string file, string name)
    {
        Assert.Equal(name, KpatchBuild.DefaultName([file]));
        Assert.True(name.Length <= KpatchBuild.NameLength);
        // And kpk create accepts them as they are (file livepatch-x.ko, module livepatch_x).
        Assert.Equal(name, Kpk.Build.ModuleNames.Validate(name));
    }
}
