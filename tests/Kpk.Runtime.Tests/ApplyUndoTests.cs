using Kpk.Core;
using Kpk.Runtime;
using Xunit;

namespace Kpk.Runtime.Tests;

public class ApplyUndoTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);

    [Fact]
    public void Apply_module_loads_it_and_the_patch_appears_in_sysfs()
    {
        using var sys = new FakeSystem();
        string ko = Fixtures.Module(sys.Work, "kpk_fixture");
        var result = new PatchApplier(sys.Context()).Apply(ko, Wait, force: false);
        Assert.Equal("kpk_fixture", result.Name);
        Assert.False(result.Forced);
        Assert.Equal(["kpk_fixture"], sys.Kernel.Loaded);
        Assert.Equal("1", sys.ReadSys("/sys/kernel/livepatch/kpk_fixture/enabled"));
        Assert.True(Directory.Exists(sys.Root.Resolve("/sys/kernel/livepatch/kpk_fixture/vmlinux/meminfo_proc_show,2")));
        Assert.Contains("kpk_fixture: applied to " + Fixtures.Release, sys.Reporter.Lines);
    }

    [Fact]
    public void Apply_tarball_records_its_manifest_so_list_shows_the_id()
    {
        using var sys = new FakeSystem();
        sys.SetBuildId("aabbccdd");
        string tarball = Fixtures.Tarball(sys.Work, Fixtures.Module(sys.Work, "kpk_fixture"), Fixtures.Manifest("kpk_fixture", buildId: "AABBCCDD"));
        var result = new PatchApplier(sys.Context()).Apply(tarball, Wait, force: false);
        Assert.Equal("20261122-abc", result.Id);
        var listing = new PatchLister(sys.Context()).List();
        Assert.Equal("20261122-abc", listing.Loaded.Single().Id);
    }

    [Fact]
    public void Release_mismatch_is_refused_naming_both_releases()
    {
        using var sys = new FakeSystem(release: "6.1.0-99-amd64");
        string ko = Fixtures.Module(sys.Work, "kpk_fixture");
        var e = Assert.Throws<KpkException>(() => new PatchApplier(sys.Context()).Apply(ko, Wait, false));
        Assert.Contains($"built for kernel {Fixtures.Release}", e.Message);
        Assert.Contains("the running kernel is 6.1.0-99-amd64", e.Message);
        Assert.Empty(sys.Kernel.Loaded);
    }

    [Fact]
    public void Build_id_mismatch_is_refused_naming_both_ids()
    {
        using var sys = new FakeSystem();
        sys.SetBuildId("1111111111111111111111111111111111111111");
        string tarball = Fixtures.Tarball(sys.Work, Fixtures.Module(sys.Work, "kpk_fixture"),
            Fixtures.Manifest("kpk_fixture", buildId: "2222222222222222222222222222222222222222"));
        var e = Assert.Throws<KpkException>(() => new PatchApplier(sys.Context()).Apply(tarball, Wait, false));
        Assert.Contains("built for vmlinux build id 2222222222222222222222222222222222222222", e.Message);
        Assert.Contains("the running kernel's is 1111111111111111111111111111111111111111", e.Message);
        Assert.Empty(sys.Kernel.Loaded);
    }

    [Fact]
    public void Unreadable_build_id_is_a_warning_and_the_release_still_decides()
    {
        using var sys = new FakeSystem(); // no /sys/kernel/notes
        string tarball = Fixtures.Tarball(sys.Work, Fixtures.Module(sys.Work, "kpk_fixture"), Fixtures.Manifest("kpk_fixture", buildId: "22"));
        new PatchApplier(sys.Context()).Apply(tarball, Wait, false);
        Assert.Contains(sys.Reporter.Lines, l => l.StartsWith("warning: cannot read the running kernel's build id"));
        Assert.Equal(["kpk_fixture"], sys.Kernel.Loaded);
    }

    [Fact]
    public void Kernel_without_livepatch_support_is_refused_before_loading()
    {
        using var sys = new FakeSystem();
        Directory.Delete(sys.Root.Livepatch);
        var e = Assert.Throws<KpkException>(() => new PatchApplier(sys.Context()).Apply(Fixtures.Module(sys.Work, "kpk_fixture"), Wait, false));
        Assert.Contains("no livepatch support", e.Message);
        Assert.Empty(sys.Kernel.Loaded);
    }

    [Fact]
    public void Module_that_is_not_a_live_patch_is_refused()
    {
        using var sys = new FakeSystem();
        string ko = Fixtures.Module(sys.Work, "plain_mod", livepatch: false);
        var e = Assert.Throws<KpkException>(() => new PatchApplier(sys.Context()).Apply(ko, Wait, false));
        Assert.Contains("module plain_mod is not a live patch (.modinfo has no livepatch=Y)", e.Message);
        Assert.Empty(sys.Kernel.Loaded);
    }

    [Fact]
    public void Already_loaded_patch_is_refused()
    {
        using var sys = new FakeSystem();
        string ko = Fixtures.Module(sys.Work, "kpk_fixture");
        new PatchApplier(sys.Context()).Apply(ko, Wait, false);
        var e = Assert.Throws<KpkException>(() => new PatchApplier(sys.Context()).Apply(ko, Wait, false));
        Assert.Contains("module kpk_fixture is already loaded; kpk undo kpk_fixture first", e.Message);
    }

    [Fact]
    public void Loader_failure_is_reported_with_the_loaders_message()
    {
        using var sys = new FakeSystem();
        sys.Kernel.LoadError = "insmod: ERROR: could not insert module: Invalid module format";
        var e = Assert.Throws<KpkException>(() => new PatchApplier(sys.Context()).Apply(Fixtures.Module(sys.Work, "kpk_fixture"), Wait, false));
        Assert.Contains("Invalid module format", e.Message);
    }

    [Fact]
    public void Module_that_registers_no_patch_is_refused()
    {
        using var sys = new FakeSystem();
        sys.Kernel.RegisterNothing = true;
        var e = Assert.Throws<KpkException>(() => new PatchApplier(sys.Context()).Apply(Fixtures.Module(sys.Work, "kpk_fixture"), Wait, false));
        Assert.Contains("/sys/kernel/livepatch/kpk_fixture did not appear", e.Message);
    }

    private static void AddBlockingTasks(FakeSystem sys)
    {
        sys.AddTask(100, "bash", 0, "[<0>] do_wait+0x1a/0x2b0\n[<0>] kernel_wait4+0xa6/0x140\n");
        sys.AddTask(200, "sshd", 1, "[<0>] do_select+0x5/0x9\n"); // already switched: not blocking
        sys.AddTask(300, "kworker/0:1", 0, tid: 301);
        Directory.CreateDirectory(sys.Root.Resolve("/proc/self")); // not a pid
    }

    [Fact]
    public void Stuck_transition_names_the_blocking_tasks_and_where_they_sleep()
    {
        using var sys = new FakeSystem();
        sys.Kernel.HoldTransitions = true;
        AddBlockingTasks(sys);
        var e = Assert.Throws<KpkException>(() => new PatchApplier(sys.Context()).Apply(Fixtures.Module(sys.Work, "kpk_fixture"), Short, false));
        Assert.Contains("transition did not finish in 0.3s", e.Message);
        Assert.Contains("2 tasks have not switched: 100 (bash) in do_wait+0x1a/0x2b0, 300/301 (kworker/0:1)", e.Message);
        Assert.DoesNotContain("sshd", e.Message);
        Assert.Contains("kpk undo kpk_fixture", e.Message);
        Assert.Equal("1", sys.ReadSys("/sys/kernel/livepatch/kpk_fixture/transition")); // left to the kernel
    }

    [Fact]
    public void A_stalled_transition_is_signalled_before_giving_up()
    {
        using var sys = new FakeSystem();
        sys.Kernel.HoldTransitions = true;
        AddBlockingTasks(sys);
        var e = Assert.Throws<KpkException>(() => new PatchApplier(sys.Context()).Apply(Fixtures.Module(sys.Work, "kpk_fixture"), Short, false));
        Assert.Equal(1, sys.Kernel.Signals);
        Assert.Contains("nor in 0.3s more after signalling the tasks", e.Message);
        Assert.Contains(sys.Reporter.Lines, l => l.StartsWith("kpk_fixture: the transition has stalled") && l.Contains("signalled those tasks"));
    }

    [Fact]
    public void Signalling_the_tasks_can_finish_the_transition_without_force()
    {
        using var sys = new FakeSystem();
        sys.Kernel.HoldTransitions = true;
        sys.Kernel.SignalReleases = true;
        AddBlockingTasks(sys);
        var result = new PatchApplier(sys.Context()).Apply(Fixtures.Module(sys.Work, "kpk_fixture"), Short, force: true);
        Assert.False(result.Forced);
        Assert.Equal(1, sys.Kernel.Signals);
        Assert.Equal("0", sys.ReadSys("/sys/kernel/livepatch/kpk_fixture/transition"));
        Assert.DoesNotContain(sys.Reporter.Lines, l => l.Contains("forcing"));
    }

    [Fact]
    public void Kernels_without_the_signal_attribute_go_straight_to_the_verdict()
    {
        using var sys = new FakeSystem();
        sys.Kernel.HoldTransitions = true;
        var context = sys.Context();
        sys.Kernel.Load(Fixtures.Module(sys.Work, "kpk_fixture"));
        File.Delete(sys.Root.Resolve("/sys/kernel/livepatch/kpk_fixture/signal")); // Linux before 5.0
        var result = context.Waiter().WaitSignalling("kpk_fixture", patching: true, Short, default);
        Assert.False(result.Finished);
        Assert.False(result.Signalled);
        Assert.Equal(0, sys.Kernel.Signals);
    }

    [Fact]
    public void Waiting_reports_blockers_as_it_goes()
    {
        using var sys = new FakeSystem();
        sys.Kernel.HoldTransitions = true;
        AddBlockingTasks(sys);
        var context = sys.Context();
        var waiter = new TransitionWaiter(context.Sysfs, context.Tasks, context.Reporter) { PollInterval = TimeSpan.FromMilliseconds(10), ReportInterval = TimeSpan.FromMilliseconds(100), Clock = sys.Clock };
        sys.Kernel.Load(Fixtures.Module(sys.Work, "kpk_fixture"));
        var result = waiter.Wait("kpk_fixture", patching: true, TimeSpan.FromMilliseconds(350), default);
        Assert.False(result.Finished);
        Assert.Contains(sys.Reporter.Lines, l => l.StartsWith("kpk_fixture: still in transition") && l.Contains("100 (bash) in do_wait"));
        Assert.Contains(sys.Reporter.Lines, l => l.Contains("do_wait+0x1a/0x2b0 <- kernel_wait4+0xa6/0x140")); // -v shows the whole stack
    }

    [Fact]
    public void Force_ends_a_stuck_transition_with_a_warning_and_the_patch_can_no_longer_be_undone()
    {
        using var sys = new FakeSystem();
        sys.Kernel.HoldTransitions = true;
        AddBlockingTasks(sys);
        var result = new PatchApplier(sys.Context()).Apply(Fixtures.Module(sys.Work, "kpk_fixture"), Short, force: true);
        Assert.True(result.Forced);
        // Virtual time: the kernel ended the transition at kpk's first poll after the write to force.
        Assert.Equal(0.01, result.TransitionSeconds);
        Assert.Equal(1, sys.Kernel.Signals); // signalled first, forced only when that did not help
        Assert.Contains(sys.Reporter.Lines, l => l.StartsWith("warning: kpk_fixture: forcing the transition") && l.Contains("100 (bash)"));
        Assert.Equal("0", sys.ReadSys("/sys/kernel/livepatch/kpk_fixture/transition"));

        var e = Assert.Throws<KpkException>(() => new PatchRemover(sys.Context()).Undo("kpk_fixture", Wait));
        Assert.Contains("kpk_fixture: cannot unload", e.Message);
        Assert.Contains("is in use", e.Message);
    }

    [Fact]
    public void Undo_disables_waits_and_unloads()
    {
        using var sys = new FakeSystem();
        new PatchApplier(sys.Context()).Apply(Fixtures.Module(sys.Work, "kpk_fixture"), Wait, false);
        var result = new PatchRemover(sys.Context()).Undo("kpk_fixture", Wait);
        Assert.True(result.WasEnabled);
        Assert.Equal(["kpk_fixture"], sys.Kernel.Unloaded);
        Assert.False(Directory.Exists(sys.Root.LivepatchDir("kpk_fixture")));
        Assert.False(Directory.Exists(sys.Root.SysModule("kpk_fixture")));
        Assert.Contains("stage: disabling kpk_fixture", sys.Reporter.Lines);
    }

    [Fact]
    public void Undo_by_tarball_id_finds_the_module_and_forgets_the_record()
    {
        using var sys = new FakeSystem();
        string tarball = Fixtures.Tarball(sys.Work, Fixtures.Module(sys.Work, "kpk_fixture"), Fixtures.Manifest("kpk_fixture", id: "fix-42"));
        new PatchApplier(sys.Context()).Apply(tarball, Wait, false);
        Assert.True(File.Exists(sys.Root.Resolve("/run/kpk/kpk_fixture.json")));
        new PatchRemover(sys.Context()).Undo("fix-42", Wait);
        Assert.Equal(["kpk_fixture"], sys.Kernel.Unloaded);
        Assert.False(File.Exists(sys.Root.Resolve("/run/kpk/kpk_fixture.json")));
    }

    [Fact]
    public void Undo_accepts_the_file_spelling_with_dashes()
    {
        using var sys = new FakeSystem();
        new PatchApplier(sys.Context()).Apply(Fixtures.Module(sys.Work, "kpk_fixture"), Wait, false);
        new PatchRemover(sys.Context()).Undo("kpk-fixture", Wait);
        Assert.Equal(["kpk_fixture"], sys.Kernel.Unloaded);
    }

    [Fact]
    public void Undo_of_a_patch_that_is_not_loaded_names_the_loaded_ones()
    {
        using var sys = new FakeSystem();
        new PatchApplier(sys.Context()).Apply(Fixtures.Module(sys.Work, "kpk_fixture"), Wait, false);
        var e = Assert.Throws<KpkException>(() => new PatchRemover(sys.Context()).Undo("nope", Wait));
        Assert.Equal("no live patch nope is loaded; loaded: kpk_fixture", e.Message);
        Assert.Empty(sys.Kernel.Unloaded);
    }

    [Fact]
    public void Undo_never_unloads_a_module_that_is_not_a_live_patch()
    {
        using var sys = new FakeSystem();
        Directory.CreateDirectory(sys.Root.SysModule("ext4"));
        File.WriteAllText(Path.Combine(sys.Root.SysModule("ext4"), "taint"), "\n");
        var e = Assert.Throws<KpkException>(() => new PatchRemover(sys.Context()).Undo("ext4", Wait));
        Assert.Contains("module ext4 is loaded but is not a live patch", e.Message);
        Assert.Empty(sys.Kernel.Unloaded);
        Assert.True(Directory.Exists(sys.Root.SysModule("ext4")));
    }

    [Fact]
    public void Undo_of_a_replaced_patch_only_unloads_its_module()
    {
        using var sys = new FakeSystem();
        new PatchApplier(sys.Context()).Apply(Fixtures.Module(sys.Work, "old_patch"), Wait, false);
        new PatchApplier(sys.Context()).Apply(Fixtures.Module(sys.Work, "cumulative", replace: true), Wait, false);
        // The kernel freed old_patch's livepatch directory when cumulative replaced it; the module stays.
        Assert.False(Directory.Exists(sys.Root.LivepatchDir("old_patch")));
        var result = new PatchRemover(sys.Context()).Undo("old_patch", Wait);
        Assert.False(result.WasEnabled);
        Assert.Equal(["old_patch"], sys.Kernel.Unloaded);
        Assert.True(Directory.Exists(sys.Root.LivepatchDir("cumulative")));
    }

    [Fact]
    public void Undo_whose_transition_does_not_finish_keeps_the_module_and_says_so()
    {
        using var sys = new FakeSystem();
        new PatchApplier(sys.Context()).Apply(Fixtures.Module(sys.Work, "kpk_fixture"), Wait, false);
        sys.Kernel.HoldDisable = true;
        // The kernel starts the disable transition inside the write to enabled; the fake kernel thread
        // would see the write a few ms late, so the transition is marked as already running.
        sys.WriteSys("/sys/kernel/livepatch/kpk_fixture/transition", "1\n");
        sys.AddTask(100, "bash", 1, "[<0>] livepatch_cmdline_proc_show+0x1/0x2\n"); // still in the new code
        var e = Assert.Throws<KpkException>(() => new PatchRemover(sys.Context()).Undo("kpk_fixture", Short));
        Assert.Contains("disabled, but the transition did not finish", e.Message);
        Assert.Contains("100 (bash) in livepatch_cmdline_proc_show+0x1/0x2", e.Message);
        Assert.Empty(sys.Kernel.Unloaded);
    }

    [Fact]
    public void Cancelled_wait_leaves_the_patch_and_says_how_to_remove_it()
    {
        using var sys = new FakeSystem();
        sys.Kernel.HoldTransitions = true;
        using var cancel = new CancellationTokenSource();
        sys.Clock.At(TimeSpan.FromMilliseconds(100), cancel.Cancel); // Ctrl-C 0.1 s into the wait
        Assert.Throws<OperationCanceledException>(() => new PatchApplier(sys.Context(cancel.Token)).Apply(Fixtures.Module(sys.Work, "kpk_fixture"), Wait, false));
        Assert.Contains(sys.Reporter.Lines, l => l.Contains("'kpk undo kpk_fixture' removes it"));
    }
}
