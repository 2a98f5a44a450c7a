using Kpk.Core;
using Kpk.Runtime;
using Xunit;

namespace Kpk.Runtime.Tests;

public class InstallListTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private const string Kpk = "/usr/local/bin/kpk";

    [Fact]
    public void Install_copies_the_module_for_its_release_and_enables_the_boot_unit()
    {
        using var sys = new FakeSystem();
        string ko = Fixtures.Module(sys.Work, "kpk_fixture");
        var installed = new InstalledPatches(sys.Context()).Install(ko, Kpk);
        string target = sys.Root.Resolve($"/lib/modules/{Fixtures.Release}/updates/kpk/kpk_fixture.ko");
        Assert.Equal(target, installed.Path);
        Assert.Equal(File.ReadAllBytes(ko), File.ReadAllBytes(target));
        Assert.False(File.Exists(Path.ChangeExtension(target, ".json")));

        string unit = File.ReadAllText(sys.Root.Resolve("/etc/systemd/system/kpk.service"));
        Assert.Contains("ExecStart=/usr/local/bin/kpk load-installed\n", unit);
        Assert.Contains("Type=oneshot\n", unit);
        Assert.Contains("WantedBy=multi-user.target\n", unit);
        var link = new FileInfo(sys.Root.Resolve("/etc/systemd/system/multi-user.target.wants/kpk.service"));
        Assert.Equal("/etc/systemd/system/kpk.service", link.LinkTarget);
        Assert.Empty(sys.Kernel.Loaded); // install does not load
    }

    [Fact]
    public void Install_of_a_tarball_keeps_its_manifest_and_uninstall_by_id_removes_everything()
    {
        using var sys = new FakeSystem();
        string tarball = Fixtures.Tarball(sys.Work, Fixtures.Module(sys.Work, "kpk_fixture"), Fixtures.Manifest("kpk_fixture", id: "fix-7"));
        new InstalledPatches(sys.Context()).Install(tarball, Kpk);
        string dir = sys.Root.InstalledDir(Fixtures.Release);
        Assert.Equal("fix-7", PatchManifest.Read(Path.Combine(dir, "kpk_fixture.json")).Id);

        var removed = new InstalledPatches(sys.Context()).Uninstall("fix-7");
        Assert.Equal("kpk_fixture", removed.Single().Name);
        Assert.False(Directory.Exists(dir));
        Assert.False(File.Exists(sys.Root.Resolve("/etc/systemd/system/kpk.service")));
        Assert.Null(new FileInfo(sys.Root.Resolve("/etc/systemd/system/multi-user.target.wants/kpk.service")).LinkTarget);
    }

    [Fact]
    public void With_the_packaged_unit_install_enables_it_and_writes_no_unit_of_its_own()
    {
        using var sys = new FakeSystem();
        string packaged = sys.Root.Resolve(KpkUnit.PackagedPath);
        Directory.CreateDirectory(Path.GetDirectoryName(packaged)!);
        File.WriteAllText(packaged, KpkUnit.Render("/usr/bin/kpk", "the kpk package"));
        var installer = new InstalledPatches(sys.Context());
        installer.Install(Fixtures.Module(sys.Work, "kpk_fixture"), "/work/checkout/.build/kpk/kpk");
        Assert.False(File.Exists(sys.Root.Resolve("/etc/systemd/system/kpk.service")));
        Assert.Equal(KpkUnit.PackagedPath, new FileInfo(sys.Root.SystemdWantsLink).LinkTarget);

        installer.Uninstall("kpk_fixture");
        Assert.Equal(KpkUnit.PackagedPath, new FileInfo(sys.Root.SystemdWantsLink).LinkTarget); // the package's enablement stays
    }

    [Fact]
    public void The_boot_unit_runs_before_the_network_and_can_be_skipped_from_the_kernel_command_line()
    {
        string unit = KpkUnit.Render("/usr/bin/kpk");
        Assert.Contains("DefaultDependencies=no\n", unit);
        Assert.Contains("Before=network-pre.target", unit);
        Assert.Contains("Wants=network-pre.target\n", unit);
        Assert.Contains("ConditionKernelCommandLine=!kpk.skip\n", unit);
        Assert.Contains("ConditionDirectoryNotEmpty=/lib/modules/%v/updates/kpk\n", unit);
    }

    [Fact]
    public void Uninstall_keeps_the_unit_while_other_patches_remain()
    {
        using var sys = new FakeSystem();
        var installer = new InstalledPatches(sys.Context());
        installer.Install(Fixtures.Module(sys.Work, "first"), Kpk);
        installer.Install(Fixtures.Module(sys.Work, "second"), Kpk);
        installer.Uninstall("first");
        Assert.True(File.Exists(sys.Root.Resolve("/etc/systemd/system/kpk.service")));
        Assert.Equal(["second"], installer.All().Select(p => p.Name));
    }

    [Fact]
    public void Uninstall_of_an_unknown_patch_names_the_installed_ones()
    {
        using var sys = new FakeSystem();
        new InstalledPatches(sys.Context()).Install(Fixtures.Module(sys.Work, "kpk_fixture"), Kpk);
        var e = Assert.Throws<KpkException>(() => new InstalledPatches(sys.Context()).Uninstall("other"));
        Assert.Equal($"no installed live patch other; installed: kpk_fixture ({Fixtures.Release})", e.Message);
    }

    [Fact]
    public void Install_refuses_a_module_that_is_not_a_live_patch_and_writes_nothing()
    {
        using var sys = new FakeSystem();
        var e = Assert.Throws<KpkException>(() => new InstalledPatches(sys.Context()).Install(Fixtures.Module(sys.Work, "plain", livepatch: false), Kpk));
        Assert.Contains("not a live patch", e.Message);
        Assert.False(Directory.Exists(sys.Root.InstalledDir(Fixtures.Release)));
        Assert.False(Directory.Exists(sys.Root.Resolve("/etc/systemd")));
    }

    [Fact]
    public void Install_for_a_release_not_installed_here_warns()
    {
        using var sys = new FakeSystem();
        new InstalledPatches(sys.Context()).Install(Fixtures.Module(sys.Work, "lp", vermagic: "6.1.0-other SMP mod_unload "), Kpk);
        Assert.Contains(sys.Reporter.Lines, l => l.StartsWith("warning:") && l.Contains("kernel 6.1.0-other is not installed here"));
        Assert.True(File.Exists(sys.Root.Resolve("/lib/modules/6.1.0-other/updates/kpk/lp.ko")));
    }

    [Fact]
    public void Load_installed_applies_the_running_releases_patches_and_skips_the_others()
    {
        using var sys = new FakeSystem();
        var installer = new InstalledPatches(sys.Context());
        installer.Install(Fixtures.Module(sys.Work, "mine"), Kpk);
        installer.Install(Fixtures.Module(sys.Work, "theirs", vermagic: "6.1.0-other SMP mod_unload "), Kpk);
        var result = installer.LoadInstalled(Wait);
        Assert.Equal(["mine"], result.Applied);
        Assert.Equal(["theirs (6.1.0-other)"], result.OtherReleases);
        Assert.Equal(["mine"], sys.Kernel.Loaded);

        // At a second run (or after a manual apply) the loaded one is skipped, not loaded twice.
        var again = installer.LoadInstalled(Wait);
        Assert.Empty(again.Applied);
        Assert.Equal(["mine"], again.AlreadyLoaded);
    }

    [Fact]
    public void Load_installed_checks_the_build_id_kept_from_the_tarball()
    {
        using var sys = new FakeSystem();
        sys.SetBuildId("1111");
        var installer = new InstalledPatches(sys.Context());
        installer.Install(Fixtures.Tarball(sys.Work, Fixtures.Module(sys.Work, "stale"), Fixtures.Manifest("stale", id: "s", buildId: "2222")), Kpk);
        installer.Install(Fixtures.Tarball(sys.Work, Fixtures.Module(sys.Work, "fresh"), Fixtures.Manifest("fresh", id: "f", buildId: "1111")), Kpk);
        var e = Assert.Throws<KpkException>(() => installer.LoadInstalled(Wait));
        Assert.Contains("failed to load: stale", e.Message);
        Assert.Contains(sys.Reporter.Lines, l => l.StartsWith("warning:") && l.Contains("built for vmlinux build id 2222 but the running kernel's is 1111"));
        Assert.Equal(["fresh"], sys.Kernel.Loaded);
        Assert.Equal("f", new PatchLister(sys.Context()).List().Loaded.Single().Id); // the id survives into /run/kpk
    }

    [Fact]
    public void Load_installed_loads_in_creation_order_so_a_cumulative_patch_comes_last()
    {
        using var sys = new FakeSystem();
        var installer = new InstalledPatches(sys.Context());
        var older = Fixtures.Manifest("zz_old", id: "old") with { Created = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) };
        var newer = Fixtures.Manifest("aa_new", id: "new") with { Created = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero) };
        installer.Install(Fixtures.Tarball(sys.Work, Fixtures.Module(sys.Work, "aa_new"), newer), Kpk);
        installer.Install(Fixtures.Tarball(sys.Work, Fixtures.Module(sys.Work, "zz_old"), older), Kpk);
        installer.LoadInstalled(Wait);
        Assert.Equal(["zz_old", "aa_new"], sys.Kernel.Loaded);
    }

    [Fact]
    public void Load_installed_goes_on_after_a_failure_and_then_reports_it()
    {
        using var sys = new FakeSystem();
        var installer = new InstalledPatches(sys.Context());
        installer.Install(Fixtures.Module(sys.Work, "good"), Kpk);
        installer.Install(Fixtures.Module(sys.Work, "bad"), Kpk);
        // The installed bad.ko got damaged after installation.
        File.WriteAllBytes(sys.Root.Resolve($"/lib/modules/{Fixtures.Release}/updates/kpk/bad.ko"), [0x7f, (byte)'E', (byte)'L', (byte)'F', 0]);
        var e = Assert.Throws<KpkException>(() => installer.LoadInstalled(Wait));
        Assert.Contains($"1 of 2 installed live patch(es) for {Fixtures.Release} failed to load: bad", e.Message);
        Assert.Equal(["good"], sys.Kernel.Loaded);
        Assert.Contains(sys.Reporter.Lines, l => l.StartsWith("warning:") && l.Contains("bad.ko"));
    }

    [Fact]
    public void List_shows_loaded_patches_with_objects_functions_and_state_and_installed_ones_not_loaded()
    {
        using var sys = new FakeSystem();
        var context = sys.Context();
        new PatchApplier(context).Apply(Fixtures.Module(sys.Work, "kpk_fixture"), Wait, false);
        var installer = new InstalledPatches(context);
        installer.Install(Fixtures.Module(sys.Work, "kpk_fixture"), Kpk); // installed and loaded
        installer.Install(Fixtures.Module(sys.Work, "waiting"), Kpk);     // installed, not loaded
        installer.Install(Fixtures.Module(sys.Work, "elsewhere", vermagic: "5.10.0-9-amd64 SMP "), Kpk);

        var listing = new PatchLister(context).List();
        Assert.Equal(Fixtures.Release, listing.Release);
        var loaded = listing.Loaded.Single();
        Assert.Equal("kpk_fixture", loaded.Name);
        Assert.True(loaded.Enabled);
        Assert.False(loaded.Transition);
        Assert.Null(loaded.Replace); // like a 6.1 kernel, the fake shows no replace attribute
        Assert.Equal(["ext4", "vmlinux"], loaded.Objects.Select(o => o.Name));
        Assert.Equal(["cmdline_proc_show,1", "meminfo_proc_show,2"], loaded.Objects.Single(o => o.Name == "vmlinux").Functions);
        Assert.False(loaded.Objects.Single(o => o.Name == "ext4").Patched); // ext4 is not loaded in the fake
        Assert.True(loaded.Objects.Single(o => o.Name == "vmlinux").Patched);

        Assert.Equal(
            ["elsewhere 5.10.0-9-amd64 loaded=False mine=False", $"kpk_fixture {Fixtures.Release} loaded=True mine=True", $"waiting {Fixtures.Release} loaded=False mine=True"],
            listing.Installed.Select(i => $"{i.Name} {i.Release} loaded={i.Loaded} mine={i.ForRunningKernel}").Order());
    }

    [Fact]
    public void List_reads_transition_and_replace_when_the_kernel_shows_them()
    {
        using var sys = new FakeSystem();
        sys.Kernel.HoldTransitions = true;
        sys.Kernel.Load(Fixtures.Module(sys.Work, "kpk_fixture"));
        sys.WriteSys("/sys/kernel/livepatch/kpk_fixture/replace", "1\n");
        var loaded = new PatchLister(sys.Context()).List().Loaded.Single();
        Assert.True(loaded.Transition);
        Assert.True(loaded.Replace);
    }

    [Fact]
    public void List_on_a_kernel_without_livepatch_is_empty()
    {
        using var sys = new FakeSystem();
        Directory.Delete(sys.Root.Livepatch);
        var listing = new PatchLister(sys.Context()).List();
        Assert.Empty(listing.Loaded);
        Assert.Empty(listing.Installed);
    }
}
