namespace Kpk.Series.Apply.Tests;

/// <summary>
/// A small kernel-like vanilla tree and a series of six patches that modify, create (in a new
/// directory), delete, rename and change the mode of files — with the expected tree after each
/// patch (<see cref="States"/>[0] is the vanilla tree).
/// </summary>
internal sealed class SmallKernel
{
    public const string Makefile = "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\nEXTRAVERSION =\nNAME = Hurr durr I'ma ninja sloth\n";

    public static string Lines(string prefix, int count, Func<int, string?>? change = null) =>
        string.Concat(Enumerable.Range(1, count).Select(i => (change?.Invoke(i) ?? $"{prefix} line {i}") + "\n"));

    public static readonly string Sched = Lines("sched", 30);
    public static readonly string Sched1 = Lines("sched", 30, i => i == 5 ? "sched line 5 /* patched */" : null);
    public static readonly string Sched2 = Lines("sched", 30, i => i == 5 ? "sched line 5 /* patched */" : i == 25 ? "sched line 25 /* again */" : null);
    public static readonly string Eth = Lines("eth", 12);
    public static readonly string Eth1 = Lines("eth", 12, i => i == 6 ? "eth line 6 fixed" : null);
    public static readonly string NewDriver = "// new driver\nint new_driver;\n";
    public static readonly string OldDoc = "obsolete\n";
    public static readonly string Helper = Lines("helper", 4);
    public const string RunScript = "#!/bin/sh\necho run\n";

    public List<SortedDictionary<string, string>> States { get; } = [];
    public List<string> Patches { get; } = [];

    public SmallKernel(SeriesWorkspace ws)
    {
        ws.WriteVanilla("Makefile", Makefile);
        ws.WriteVanilla("kernel/sched.c", Sched);
        ws.WriteVanilla("kernel/helper.c", Helper);
        ws.WriteVanilla("drivers/net/eth.c", Eth);
        ws.WriteVanilla("Documentation/old.txt", OldDoc);
        ws.WriteVanilla("scripts/run.sh", RunScript, (UnixFileMode)0b111_101_101);
        ws.WriteVanilla("include/empty.h", "");
        File.CreateSymbolicLink(Path.Combine(ws.Vanilla, "include/alias.h"), "empty.h");

        var state = TreeSnapshot.Contents(ws.Vanilla);
        States.Add(new(state));

        Add(ws, "patches.kernel.org/6.1.1-001-extraversion.patch", Diff.Modify("Makefile", Makefile, Makefile.Replace("EXTRAVERSION =", "EXTRAVERSION = -kpk")),
            s => s["Makefile"] = Makefile.Replace("EXTRAVERSION =", "EXTRAVERSION = -kpk"));
        Add(ws, "patches.suse/sched-fix.patch", Diff.Modify("kernel/sched.c", Sched, Sched1), s => s["kernel/sched.c"] = Sched1);
        Add(ws, "patches.suse/new-driver.patch",
            Diff.Create("drivers/new/new.c", NewDriver) + Diff.Modify("drivers/net/eth.c", Eth, Eth1),
            s => { s["drivers/new/new.c"] = NewDriver; s["drivers/net/eth.c"] = Eth1; });
        Add(ws, "patches.suse/remove-old-doc.patch", Diff.Delete("Documentation/old.txt", OldDoc), s => s.Remove("Documentation/old.txt"));
        Add(ws, "patches.suse/git-rename-and-mode.patch",
            "diff --git a/kernel/helper.c b/kernel/helpers.c\nsimilarity index 100%\nrename from kernel/helper.c\nrename to kernel/helpers.c\n" +
            "diff --git a/scripts/run.sh b/scripts/run.sh\nold mode 100755\nnew mode 100644\n",
            s => { s["kernel/helpers.c"] = s["kernel/helper.c"]; s.Remove("kernel/helper.c"); });
        Add(ws, "patches.suse/sched-more.patch", Diff.Modify("kernel/sched.c", Sched1, Sched2), s => s["kernel/sched.c"] = Sched2);

        ws.WriteSeries(["# a series like SUSE's", "", .. Patches.Select(p => "\t" + p)]);
    }

    private void Add(SeriesWorkspace ws, string name, string text, Action<SortedDictionary<string, string>> change)
    {
        Patches.Add(ws.AddPatch(name, text));
        var next = new SortedDictionary<string, string>(States[^1], StringComparer.Ordinal);
        change(next);
        States.Add(next);
    }

    /// <summary>A patch that applies to its first files and fails on the last, after creating a file in a new directory and deleting one.</summary>
    public static string HalfApplyingPatch() =>
        Diff.Create("drivers/bad/bad.c", "bad\n")
        + Diff.Modify("drivers/net/eth.c", Eth1, Lines("eth", 12, i => i == 6 ? "eth line 6 fixed" : i == 1 ? "eth line 1 changed" : null))
        + Diff.Delete("Documentation/other.txt", "other\n")
        + Diff.Modify("kernel/sched.c", Lines("sched", 30, i => i == 15 ? "not what the tree has" : null), Lines("sched", 30, i => i == 15 ? "sched 15 changed" : null));
}
