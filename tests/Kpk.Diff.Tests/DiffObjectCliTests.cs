using System.Text.Json;
using Kpk.Tests;
using Xunit;

namespace Kpk.Diff.Tests;

/// <summary><c>kpk diff-object</c> as a user runs it: exit codes, JSON, messages, no half-written output.</summary>
[Trait("Tier", Tier.Conformance)]
public class DiffObjectCliTests
{
    private static string Case(string name) => Path.Combine(TestPaths.DiffObjectCases, name);

    [Fact]
    public void Patched_writes_the_object_and_exits_0_with_json()
    {
        using var tmp = TestPaths.TempDir("kpk-cli");
        string output = tmp["patch.o"];
        var r = KpkProcess.Run("diff-object", Case("new-function.ORIG.o"), Case("new-function.PATCHED.o"),
            "--parent", Case("new-function.ORIG.o"), "-o", output, "--json");
        Assert.True(r.Exit == 0, r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal("patched", doc.RootElement.GetProperty("outcome").GetString());
        Assert.Equal(["n_tty_write"], doc.RootElement.GetProperty("replaced").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["kpatch_n_tty_write"], doc.RootElement.GetProperty("new").EnumerateArray().Select(e => e.GetString()));
        Assert.True(File.Exists(output));
        Tools.AssertToolsAccept(output);
    }

    [Fact]
    public void Debug_info_is_carried_unless_strip_debug()
    {
        using var tmp = TestPaths.TempDir("kpk-cli");
        const string before = "extern int printk(const char *, ...);\nint show(int x) { return printk(\"%d\\n\", x); }\n";
        string o = Tools.Compile(tmp.Path, "show", before, "orig", "-g");
        string p = Tools.Compile(tmp.Path, "show", before.Replace("%d", "%x"), "patched", "-g");
        foreach (var (flags, expectDebug) in new[] { (Array.Empty<string>(), true), (["--strip-debug"], false) })
        {
            string output = tmp[$"patch{flags.Length}.o"];
            var r = KpkProcess.Run(["diff-object", o, p, "--parent", o, "-o", output, .. flags]);
            Assert.True(r.Exit == 0, r.Err);
            var (_, sections, _) = Tools.Run("readelf", $"-SW {output}");
            Assert.Equal(expectDebug, sections.Contains(".debug_info"));
            Assert.Contains(".text.show", sections);
        }
    }

    [Fact]
    public void No_change_exits_3_and_writes_nothing()
    {
        using var tmp = TestPaths.TempDir("kpk-cli");
        string output = tmp["patch.o"];
        var r = KpkProcess.Run("diff-object", Case("warn-detect.ORIG.o"), Case("warn-detect.PATCHED.FAIL.o"),
            "--parent", Case("warn-detect.ORIG.o"), "-o", output);
        Assert.Equal(3, r.Exit);
        Assert.Contains("no functional changes", r.Out);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Unsupported_exits_2_with_the_reason_and_writes_nothing()
    {
        using var tmp = TestPaths.TempDir("kpk-cli");
        string output = tmp["patch.o"];
        var r = KpkProcess.Run("diff-object", Case("meminfo-init.ORIG.o"), Case("meminfo-init.PATCHED.FAIL.o"),
            "--parent", Case("meminfo-init.ORIG.o"), "-o", output);
        Assert.Equal(2, r.Exit);
        Assert.Contains(".init.text", r.Err);
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFiles(tmp.Path));
    }

    [Fact]
    public void Bad_input_exits_1_naming_the_file_without_a_stack_trace()
    {
        using var tmp = TestPaths.TempDir("kpk-cli");
        string bad = tmp["bad.o"];
        File.WriteAllBytes(bad, File.ReadAllBytes(Case("cold-add.ORIG.o")).AsSpan(0, 100).ToArray());
        var r = KpkProcess.Run("diff-object", bad, Case("cold-add.PATCHED.o"), "--parent", Case("cold-add.ORIG.o"), "-o", tmp["out.o"]);
        Assert.Equal(1, r.Exit);
        Assert.StartsWith("kpk: " + bad + ":", r.Err);
        Assert.DoesNotContain("   at ", r.Err);
        Assert.False(File.Exists(tmp["out.o"]));
    }
}
