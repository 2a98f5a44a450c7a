using System.Diagnostics;
using System.Text.Json;
using Kpk.Tests;
using Xunit;

namespace Kpk.Runtime.Tests;

/// <summary>The verbs as a user runs them: the built kpk, its exit codes, stdout and stderr.</summary>
public class CliTests
{
    private sealed record Outcome(int ExitCode, string Stdout, string Stderr);

    private static Outcome Kpk(IDictionary<string, string>? env, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "kpk.dll"));
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment.Remove("KPK_INSMOD");
        start.Environment.Remove("KPK_RMMOD");
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) start.Environment[k] = v;
        using var p = Process.Start(start)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return new Outcome(p.ExitCode, output, err.Result);
    }

    /// <summary>Shell stand-ins for insmod/rmmod that do to the --root tree what the kernel does to /sys.</summary>
    private static Dictionary<string, string> FakeKmod(FakeSystem sys)
    {
        string insmod = Path.Combine(sys.Work, "fake-insmod"), rmmod = Path.Combine(sys.Work, "fake-rmmod");
        File.WriteAllText(insmod, """
            #!/bin/sh
            set -e
            name=$(basename "$1" .ko | tr - _)
            lp="$FAKE_ROOT/sys/kernel/livepatch/$name"
            mkdir -p "$FAKE_ROOT/sys/module/$name" "$lp/vmlinux/cmdline_proc_show,1"
            echo K > "$FAKE_ROOT/sys/module/$name/taint"
            echo 1 > "$lp/enabled"; echo 0 > "$lp/transition"; : > "$lp/force"; echo 1 > "$lp/vmlinux/patched"
            """);
        File.WriteAllText(rmmod, """
            #!/bin/sh
            lp="$FAKE_ROOT/sys/kernel/livepatch/$1"
            if [ -f "$lp/enabled" ] && [ "$(cat "$lp/enabled")" = 1 ]; then echo "rmmod: ERROR: Module $1 is in use" >&2; exit 1; fi
            [ -d "$FAKE_ROOT/sys/module/$1" ] || { echo "rmmod: ERROR: Module $1 is not currently loaded" >&2; exit 1; }
            rm -rf "$lp" "$FAKE_ROOT/sys/module/$1"
            """);
        File.SetUnixFileMode(insmod, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(rmmod, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new() { ["KPK_INSMOD"] = insmod, ["KPK_RMMOD"] = rmmod, ["FAKE_ROOT"] = sys.Root.Directory };
    }

    [Fact]
    public void Info_json_describes_a_module()
    {
        using var dir = TestPaths.TempDir();
        var r = Kpk(null, "info", "--json", Fixtures.Module(dir.Path, "kpk_fixture", replace: true));
        Assert.Equal(0, r.ExitCode);
        using var json = JsonDocument.Parse(r.Stdout);
        Assert.Equal("kpk_fixture", json.RootElement.GetProperty("name").GetString());
        Assert.Equal(Fixtures.Release, json.RootElement.GetProperty("kernel_release").GetString());
        Assert.True(json.RootElement.GetProperty("replace").GetBoolean());
        Assert.Equal("module", json.RootElement.GetProperty("objects_from").GetString());
        var vmlinux = json.RootElement.GetProperty("objects")[0];
        Assert.Equal("vmlinux", vmlinux.GetProperty("name").GetString());
        Assert.Equal(2, vmlinux.GetProperty("functions")[1].GetProperty("sympos").GetInt32());
    }

    [Fact]
    public void Missing_file_is_one_clear_line_and_exit_1()
    {
        var r = Kpk(null, "info", "/nonexistent/x.ko");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("kpk: /nonexistent/x.ko: no such file\n", r.Stderr);
    }

    [Fact]
    public void Apply_on_another_root_without_stand_in_loaders_refuses_to_touch_the_running_kernel()
    {
        using var sys = new FakeSystem();
        var r = Kpk(null, "apply", "--root", sys.Root.Directory, Fixtures.Module(sys.Work, "kpk_fixture"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("set KPK_INSMOD and KPK_RMMOD", r.Stderr);
    }

    [Fact]
    public void Apply_list_undo_on_a_prepared_root()
    {
        // kpk runs in its own process here; a late background kernel only makes undo wait longer
        // for the patch to be freed (up to 5 s), after which rmmod succeeds all the same.
        using var sys = new FakeSystem(backgroundKernel: true);
        var env = FakeKmod(sys);
        string tarball = Fixtures.Tarball(sys.Work, Fixtures.Module(sys.Work, "kpk_fixture"), Fixtures.Manifest("kpk_fixture", id: "cli-1"));

        var apply = Kpk(env, "apply", "--root", sys.Root.Directory, "--wait", "5", tarball);
        Assert.True(apply.ExitCode == 0, apply.Stderr);
        Assert.Contains("kpk_fixture: applied to " + Fixtures.Release + " (id cli-1)", apply.Stderr);

        var list = Kpk(env, "list", "--root", sys.Root.Directory);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("  kpk_fixture (id cli-1): enabled\n", list.Stdout);
        Assert.Contains("    vmlinux [patched]: cmdline_proc_show,1\n", list.Stdout);

        var json = Kpk(env, "list", "--root", sys.Root.Directory, "--json");
        using (var doc = JsonDocument.Parse(json.Stdout))
            Assert.Equal("cli-1", doc.RootElement.GetProperty("loaded")[0].GetProperty("id").GetString());

        var undo = Kpk(env, "undo", "--root", sys.Root.Directory, "cli-1");
        Assert.True(undo.ExitCode == 0, undo.Stderr);
        Assert.False(Directory.Exists(sys.Root.LivepatchDir("kpk_fixture")));
        Assert.False(Directory.Exists(sys.Root.SysModule("kpk_fixture")));

        var again = Kpk(env, "undo", "--root", sys.Root.Directory, "kpk_fixture");
        Assert.Equal(1, again.ExitCode);
        Assert.Equal("kpk: no live patch kpk_fixture is loaded; no live patch is loaded\n", again.Stderr);
    }

    [Fact]
    public void List_on_a_kernel_without_livepatch_says_so_and_fails()
    {
        using var sys = new FakeSystem();
        Assert.Equal(0, Kpk(null, "install", "--root", sys.Root.Directory, "--exec", "/opt/kpk/kpk", Fixtures.Module(sys.Work, "kpk_fixture")).ExitCode);
        Directory.Delete(sys.Root.Livepatch);
        string message = $"kpk: the running kernel has no livepatch support: {sys.Root.Livepatch} does not exist (CONFIG_LIVEPATCH)\n";

        var list = Kpk(null, "list", "--root", sys.Root.Directory);
        Assert.Equal(1, list.ExitCode);
        Assert.Equal(message, list.Stderr);
        Assert.Contains("loaded live patches: none (no livepatch support in this kernel: CONFIG_LIVEPATCH)\n", list.Stdout);
        Assert.Contains($"installed, not loaded:\n  kpk_fixture for {Fixtures.Release}: ", list.Stdout);

        var json = Kpk(null, "list", "--root", sys.Root.Directory, "--json");
        Assert.Equal(1, json.ExitCode);
        Assert.Equal(message, json.Stderr);
        using (var doc = JsonDocument.Parse(json.Stdout))
        {
            Assert.False(doc.RootElement.GetProperty("livepatch_supported").GetBoolean());
            Assert.Equal("kpk_fixture", doc.RootElement.GetProperty("installed")[0].GetProperty("name").GetString());
        }

        // With support and nothing loaded, the same listing is an ordinary answer.
        Directory.CreateDirectory(sys.Root.Livepatch);
        var supported = Kpk(null, "list", "--root", sys.Root.Directory, "--json");
        Assert.Equal(0, supported.ExitCode);
        using (var doc = JsonDocument.Parse(supported.Stdout))
            Assert.True(doc.RootElement.GetProperty("livepatch_supported").GetBoolean());
    }

    [Fact]
    public void Install_and_uninstall_on_a_prepared_root()
    {
        using var sys = new FakeSystem();
        var install = Kpk(null, "install", "--root", sys.Root.Directory, "--exec", "/opt/kpk/kpk", Fixtures.Module(sys.Work, "kpk_fixture"));
        Assert.True(install.ExitCode == 0, install.Stderr);
        Assert.Contains("ExecStart=/opt/kpk/kpk load-installed", File.ReadAllText(sys.Root.Resolve("/etc/systemd/system/kpk.service")));

        var list = Kpk(null, "list", "--root", sys.Root.Directory);
        Assert.Contains($"installed, not loaded:\n  kpk_fixture for {Fixtures.Release}: ", list.Stdout);

        var uninstall = Kpk(null, "uninstall", "--root", sys.Root.Directory, "kpk_fixture");
        Assert.True(uninstall.ExitCode == 0, uninstall.Stderr);
        Assert.False(File.Exists(sys.Root.Resolve($"/lib/modules/{Fixtures.Release}/updates/kpk/kpk_fixture.ko")));
    }

    [Fact]
    public void Negative_wait_is_refused()
    {
        using var sys = new FakeSystem();
        var r = Kpk(FakeKmod(sys), "undo", "--root", sys.Root.Directory, "--wait", "-1", "x");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--wait -1: must not be negative", r.Stderr);
    }
}
