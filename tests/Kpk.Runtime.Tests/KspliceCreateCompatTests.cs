using Kpk.Cli.Compat;
using Xunit;

namespace Kpk.Runtime.Tests;

/// <summary>ksplice-create command lines as its man page writes them, translated into kpk create's request.</summary>
public class KspliceCreateCompatTests : IDisposable
{
    private readonly CompatMachine _m = new();
    public void Dispose() => _m.Dispose();

    private readonly Dictionary<string, string?> _env = new();

    private KsplicePlan Translate(params string[] args) => KspliceCreate.Translate(args, _m.Host, _env);
    private CompatExit Fails(params string[] args) => Assert.Throws<CompatExit>(() => Translate(args));

    /// <summary>KERNEL_SOURCE with the default ORIG_CONFIG, KERNEL_SOURCE/ksplice, holding .config and System.map.</summary>
    private string Tree(bool config = true)
    {
        string src = _m.Dir("linux");
        _m.File("linux/Makefile");
        _m.File("linux/.config", "CONFIG_LIVEPATCH=y\n");
        _m.File("linux/ksplice/System.map", "ffffffff81000000 T _text\n");
        if (config) _m.File("linux/ksplice/.config", "CONFIG_LIVEPATCH=y\n");
        return src;
    }

    [Fact]
    public void The_man_pages_diffext_example_pairs_sys_c_prctl_fixed_with_sys_c()
    {
        // $ ksplice-create --diffext=.prctl_fixed KERNEL_SOURCE
        string src = Tree();
        var plan = Translate("--diffext=.prctl_fixed", "linux");
        Assert.Equal([
            src, "--diffext=prctl_fixed", "--pre-ref=refs/ksplice/pre", "--config=" + Path.Combine(src, "ksplice"),
            "--kallsyms=" + Path.Combine(src, "ksplice", "System.map"), "--output=" + _m.Cwd,
        ], plan.CreateArguments);
        var (r, pending) = CompatMachine.Request(plan.CreateArguments);
        Assert.Empty(pending);
        Assert.Equal(Path.Combine(src, "ksplice", "System.map"), r.Kallsyms); // System.map: the running kernel's symbols
        Assert.Equal((Kpk.Build.ChangeKind.DiffExt, "prctl_fixed", Path.Combine(src, "ksplice", ".config")), (r.Change, r.DiffExt, r.Config));
        Assert.Equal(Path.Combine(src, "ksplice"), r.ConfigDirectory);
    }

    [Fact]
    public void A_diffext_without_its_dot_names_files_kpk_cannot_pair()
    {
        Tree();
        var e = Fails("--diffext=new", "linux");
        Assert.Equal(KspliceCreate.Died, e.Code);
        Assert.Contains("--diffext=.prctl_fixed", e.Stderr);
    }

    [Fact]
    public void Patch_with_id_description_and_patch_options_each_passed_alone()
    {
        string src = Tree();
        string patch = _m.File("fix.patch");
        var (r, _) = CompatMachine.Request(Translate("--patch=fix.patch", "--id=cve42", "--description=Fix the thing", "--patch-opt=-p0", "--patch-opt", "-F3", "linux").CreateArguments);
        Assert.Equal((Kpk.Build.ChangeKind.Patches, patch, "cve42", "Fix the thing"), (r.Change, r.Patches.Single(), r.Id, r.Description));
        Assert.Equal("-p0 -F3", r.PatchOptions); // only the given options: no -p1
        Assert.Equal(src, r.KernelSource);
        Assert.Equal(_m.Cwd, r.OutputDirectory); // the tarball goes to the current directory
        Assert.Equal("-p1", CompatMachine.Request(Translate("--patch=fix.patch", "linux").CreateArguments).Request.PatchOptions);
    }

    [Fact]
    public void A_patch_option_with_blanks_cannot_be_passed_alone_and_says_so()
    {
        Tree();
        _m.File("fix.patch");
        Assert.Contains("one argument to patch", Fails("--patch=fix.patch", "--patch-opt=--directory=a b", "linux").Stderr);
    }

    [Fact]
    public void Git_uses_refs_ksplice_pre_and_series_stacks_on_the_previous_update()
    {
        Tree();
        var (r, _) = CompatMachine.Request(Translate("--git=HEAD", "--series", "linux").CreateArguments);
        Assert.Equal((Kpk.Build.ChangeKind.Git, "HEAD", "refs/ksplice/pre", true, false), (r.Change, r.GitCommit, r.GitPreRef, r.Series, r.Replace));
        Assert.False(CompatMachine.Request(Translate("--git=HEAD", "--series", "--noseries", "linux").CreateArguments).Request.Series);
    }

    [Fact]
    public void Prebuild_with_series_only_forgets_the_old_original()
    {
        Tree();
        var plan = Translate("--prebuild", "--series", "linux");
        Assert.True(plan.Prebuild);
        var (r, _) = CompatMachine.Request(plan.CreateArguments);
        Assert.Equal((Kpk.Build.ChangeKind.Prebuild, true, "refs/ksplice/pre"), (r.Change, r.Series, r.GitPreRef));
    }

    [Fact]
    public void Verbose_up_to_twice_and_jobs_from_j_or_concurrency_level()
    {
        Tree();
        _m.File("fix.patch");
        Assert.Equal(2, Translate("-v", "-v", "-v", "--patch=fix.patch", "linux").CreateArguments.Count(a => a == "--verbose"));
        Assert.Equal(2, Translate("-vv", "--patch=fix.patch", "linux").CreateArguments.Count(a => a == "--verbose"));
        Assert.Equal(1, Translate("--verbose", "--patch=fix.patch", "linux").CreateArguments.Count(a => a == "--verbose"));
        Assert.Equal(6, CompatMachine.Request(Translate("-j", "6", "--patch=fix.patch", "linux").CreateArguments).Request.Jobs);
        Assert.Equal(3, CompatMachine.Request(Translate("-j3", "--patch=fix.patch", "linux").CreateArguments).Request.Jobs);
        Assert.Equal(5, CompatMachine.Request(Translate("--jobs=5", "--patch=fix.patch", "linux").CreateArguments).Request.Jobs);
        _env["CONCURRENCY_LEVEL"] = "7";
        Assert.Equal(7, CompatMachine.Request(Translate("--patch=fix.patch", "linux").CreateArguments).Request.Jobs);
        Assert.Equal(2, CompatMachine.Request(Translate("-j", "2", "--patch=fix.patch", "linux").CreateArguments).Request.Jobs);
    }

    [Fact]
    public void Orig_config_is_a_directory_with_system_map_and_optionally_config()
    {
        string src = Tree(config: false);
        string orig = _m.Dir("orig");
        _m.File("orig/System.map");
        _m.File("fix.patch");
        var plan = Translate("--config=orig", "--patch=fix.patch", "linux");
        Assert.Contains("--kallsyms=" + Path.Combine(orig, "System.map"), plan.CreateArguments);
        Assert.DoesNotContain(plan.CreateArguments, a => a.StartsWith("--config", StringComparison.Ordinal)); // the tree's .config
        Assert.Null(CompatMachine.Request(plan.CreateArguments).Request.Config);

        Assert.Equal("Aborting: User-specified ORIG_CONFIG cannot be KERNEL_SOURCE or a subdirectory\n", Fails("--config=linux/ksplice", "--patch=fix.patch", "linux").Stderr);
        Assert.Equal($"Failed to find ORIG_CONFIG directory ({Path.Combine(_m.Cwd, "none")})\n", Fails("--config=none", "--patch=fix.patch", "linux").Stderr);
        _m.Dir("empty");
        var e = Fails("--config=empty", "--patch=fix.patch", "linux");
        Assert.Equal((KspliceCreate.Died, "Failed to find System.map file in ORIG_CONFIG directory\n"), (e.Code, e.Stderr));
    }

    [Theory]
    [InlineData("linux")]                                         // no action
    [InlineData("--patch=fix.patch", "--prebuild", "linux")]      // two actions
    [InlineData("--patch=fix.patch")]                             // no KERNEL_SOURCE
    [InlineData("--patch=fix.patch", "linux", "other")]           // two
    [InlineData("--help", "--patch=fix.patch", "linux")]
    public void A_wrong_command_line_prints_the_synopsis_on_stdout_and_exits_1(params string[] args)
    {
        Tree();
        _m.File("fix.patch");
        var e = Fails(args);
        Assert.Equal((1, KspliceCreate.Usage), (e.Code, e.Stdout));
        Assert.Contains("ksplice-create [OPTIONS] --diffext=EXTENSION KERNEL_SOURCE", e.Stdout);
    }

    [Fact]
    public void Unknown_options_are_named_as_getopt_long_names_them()
    {
        Tree();
        var e = Fails("--frob", "--prebuild", "linux");
        Assert.Equal((1, "Unknown option: frob\n"), (e.Code, e.Stderr));
    }

    [Fact]
    public void Build_modules_is_refused_naming_why()
    {
        Tree();
        _m.File("fix.patch");
        Assert.Contains("--build-modules", Fails("--patch=fix.patch", "--build-modules", "linux").Stderr);
    }
}
