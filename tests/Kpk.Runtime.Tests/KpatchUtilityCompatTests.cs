using Kpk.Cli.Compat;
using Xunit;

namespace Kpk.Runtime.Tests;

/// <summary>
/// kpatch's utility verbs (kpatch 0.9.7's usage and man page) on a fake machine: the exact output
/// of list that Cockpit and insights parse, load/unload with the transition signalled when it stalls.
/// </summary>
public class KpatchUtilityCompatTests : IDisposable
{
    private readonly FakeSystem _sys = new();
    private readonly StringWriter _out = new(), _err = new();
    public void Dispose() => _sys.Dispose();

    private int Kpatch(params string[] args) =>
        new KpatchUtility(_sys.Context(), _out, _err, "/usr/bin/kpk") { Wait = TimeSpan.FromMilliseconds(300) }.Run(args);

    private string Module(string name) => Fixtures.Module(_sys.Work, name);

    [Fact]
    public void List_prints_loaded_and_installed_modules_as_kpatch_does()
    {
        Assert.Equal(0, Kpatch("load", Module("livepatch_cmdline")));
        Assert.Equal(0, Kpatch("install", Module("livepatch_meminfo")));
        _out.GetStringBuilder().Clear();
        Assert.Equal(0, Kpatch("list"));
        Assert.Equal($"""
            Loaded patch modules:
            livepatch_cmdline [enabled]

            Installed patch modules:
            livepatch_meminfo ({Fixtures.Release})

            """, _out.ToString());
    }

    [Fact]
    public void List_shows_a_transition_and_the_stalled_processes()
    {
        _sys.Kernel.HoldTransitions = true;
        _sys.AddTask(100, "bash", 0, "[<0>] do_wait+0x1a/0x2b0\n");
        _sys.AddTask(200, "sshd", 1);
        _sys.Kernel.Load(Module("livepatch_fix"));
        Assert.Equal(0, Kpatch("list"));
        Assert.Equal("""
            Loaded patch modules:
            livepatch_fix [enabling...]

            Stalled processes:
            100 bash
            stack:
            do_wait+0x1a/0x2b0

            Installed patch modules:

            """, _out.ToString());
    }

    [Fact]
    public void Load_prints_kpatchs_line_and_refuses_a_second_load()
    {
        string ko = Module("livepatch_fix");
        Assert.Equal(0, Kpatch("load", ko));
        Assert.Equal($"loading patch module: {ko}\n", _out.ToString());
        Assert.Equal(["livepatch_fix"], _sys.Kernel.Loaded);
        _out.GetStringBuilder().Clear();
        Assert.Equal(0, Kpatch("load", ko));
        Assert.Equal("module named livepatch_fix already loaded and enabled\n", _out.ToString());
        Assert.Single(_sys.Kernel.Loaded);
    }

    [Fact]
    public void Load_by_installed_name_and_load_all()
    {
        Kpatch("install", Module("livepatch_a"));
        Kpatch("install", Module("livepatch_b"));
        Assert.Equal(0, Kpatch("load", "livepatch_a"));
        Assert.Equal(["livepatch_a"], _sys.Kernel.Loaded);
        Assert.Equal(0, Kpatch("load", "--all"));
        Assert.Equal(["livepatch_a", "livepatch_b"], _sys.Kernel.Loaded);
        Assert.Equal(1, Kpatch("load", "livepatch_nothere"));
        Assert.Equal("kpatch: can't find livepatch_nothere\n", _err.ToString());
    }

    [Fact]
    public void A_stalled_load_is_signalled_then_unloaded_as_kpatch_does()
    {
        _sys.Kernel.HoldTransitions = true;
        _sys.AddTask(100, "bash", 0, "[<0>] do_wait+0x1a/0x2b0\n");
        Assert.Equal(1, Kpatch("load", Module("livepatch_fix")));
        Assert.Equal(1, _sys.Kernel.Signals);
        Assert.Contains("module livepatch_fix did not complete its transition, unloading...", _out.ToString());
        Assert.EndsWith("kpatch: error: failed to load module livepatch_fix (transition stalled)\n", _err.ToString());
        Assert.Equal(["livepatch_fix"], _sys.Kernel.Unloaded);
    }

    [Fact]
    public void A_load_the_signal_unblocks_succeeds()
    {
        _sys.Kernel.HoldTransitions = true;
        _sys.Kernel.SignalReleases = true;
        Assert.Equal(0, Kpatch("load", Module("livepatch_fix")));
        Assert.Equal(1, _sys.Kernel.Signals);
        Assert.Empty(_sys.Kernel.Unloaded);
    }

    [Fact]
    public void Unload_accepts_the_file_name_and_unload_all_removes_every_patch()
    {
        Kpatch("load", Module("livepatch-one"));
        Kpatch("load", Module("livepatch_two"));
        _out.GetStringBuilder().Clear();
        Assert.Equal(0, Kpatch("unload", "/somewhere/livepatch-one.ko"));
        Assert.Equal("disabling patch module: livepatch_one\nunloading patch module: livepatch_one\n", _out.ToString());
        Assert.Equal(0, Kpatch("unload", "--all"));
        Assert.Equal(["livepatch_one", "livepatch_two"], _sys.Kernel.Unloaded);
        Assert.Equal(1, Kpatch("unload", "livepatch_one"));
        Assert.Equal("kpatch: patch module livepatch_one is not loaded\nkpatch: failed to disable module livepatch_one\n", _err.ToString());
    }

    [Fact]
    public void Install_checks_the_kernel_version_and_uninstall_removes_it_for_that_release()
    {
        string ko = Module("livepatch_fix");
        Assert.Equal(1, Kpatch("install", "-k", "6.1.0-99-amd64", ko));
        Assert.Equal($"kpatch: invalid module version {Fixtures.Release} for kernel 6.1.0-99-amd64\n", _err.ToString());
        Assert.Equal(0, Kpatch("install", "--kernel-version=" + Fixtures.Release, ko));
        Assert.Equal($"installing {ko} ({Fixtures.Release})\n", _out.ToString());
        Assert.True(File.Exists(_sys.Root.Resolve($"/lib/modules/{Fixtures.Release}/updates/kpk/livepatch_fix.ko")));
        Assert.True(File.Exists(_sys.Root.Resolve("/etc/systemd/system/kpk.service"))); // loaded at boot, as kpatch.service would
        _err.GetStringBuilder().Clear();
        Assert.Equal(1, Kpatch("install", ko));
        Assert.Equal($"kpatch: {ko} is already installed\n", _err.ToString());

        _out.GetStringBuilder().Clear();
        Assert.Equal(0, Kpatch("uninstall", "livepatch_fix.ko"));
        Assert.Equal($"uninstalling livepatch_fix.ko ({Fixtures.Release})\n", _out.ToString());
        Assert.False(File.Exists(_sys.Root.Resolve($"/lib/modules/{Fixtures.Release}/updates/kpk/livepatch_fix.ko")));
        _err.GetStringBuilder().Clear();
        Assert.Equal(1, Kpatch("uninstall", "-k", "6.1.0-99-amd64", "livepatch_fix"));
        Assert.Equal("kpatch: livepatch_fix is not installed for kernel 6.1.0-99-amd64\n", _err.ToString());
        Assert.Equal(1, Kpatch("uninstall", "/lib/livepatch_fix.ko"));
        Assert.EndsWith("kpatch: please supply patch module name without path\n", _err.ToString());
    }

    [Fact]
    public void Info_prints_the_modinfo_fields()
    {
        string ko = Module("livepatch_fix");
        Assert.Equal(0, Kpatch("info", ko));
        string[] lines = _out.ToString().Split('\n');
        Assert.Equal($"Patch information for {ko}:", lines[0]);
        Assert.Equal($"filename:       {ko}", lines[1]);
        Assert.Contains("livepatch:      Y", lines);
        Assert.Contains($"vermagic:       {Fixtures.Vermagic}", lines);
    }

    [Fact]
    public void Signal_writes_to_the_stalled_patchs_signal_attribute()
    {
        Assert.Equal(0, Kpatch("signal")); // nothing in transition: nothing to do
        Assert.Equal("", _out.ToString());
        _sys.Kernel.HoldTransitions = true;
        _sys.Kernel.Load(Module("livepatch_fix"));
        Assert.Equal(0, Kpatch("signal"));
        Assert.Equal("signaling stalled process(es):\n", _out.ToString());
        _sys.Kernel.Tick(); // the kernel reacts to what was written
        Assert.Equal(1, _sys.Kernel.Signals);
    }

    [Fact]
    public void Version_usage_and_unknown_verbs()
    {
        Assert.Equal(0, Kpatch("version"));
        Assert.Equal("0.9.7\n", _out.ToString());
        Assert.Equal(1, Kpatch());
        Assert.StartsWith("usage: kpatch <command> [<args>]\n", _err.ToString());
        _out.GetStringBuilder().Clear();
        Assert.Equal(1, Kpatch("frobnicate"));
        Assert.Equal("subcommand frobnicate not recognized\n", _out.ToString());
        Assert.Equal(1, Kpatch("list", "extra"));
    }
}
