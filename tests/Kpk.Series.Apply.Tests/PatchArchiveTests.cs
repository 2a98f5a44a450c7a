using System.Diagnostics;
using Kpk.Core;

namespace Kpk.Series.Apply.Tests;

/// <summary>series apply from a source-RPM-like directory: patches.*.tar.bz2 archives (made by real tar and bzip2) beside series.conf.</summary>
public class PatchArchiveTests
{
    private static void Tar(string cwd, params string[] args)
    {
        var psi = new ProcessStartInfo("tar") { WorkingDirectory = cwd, RedirectStandardError = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err);
    }

    /// <summary>patches.suse becomes an archive (as the source RPM has it); patches.kernel.org stays a directory.</summary>
    private static void PackSuse(SeriesWorkspace ws)
    {
        Tar(ws.Source, "-cjf", "patches.suse.tar.bz2", "patches.suse");
        Directory.Delete(Path.Combine(ws.Source, "patches.suse"), recursive: true);
        Directory.CreateDirectory(Path.Combine(ws.Source, "config.addon", "x86_64"));
        File.WriteAllText(Path.Combine(ws.Source, "config.addon", "x86_64", "default"), "CONFIG_KPK=y\n");
        Tar(ws.Source, "-cjf", "config.addon.tar.bz2", "config.addon");
        Directory.Delete(Path.Combine(ws.Source, "config.addon"), recursive: true);
    }

    [Fact]
    public void Patches_in_archives_are_applied_as_from_directories_and_quilt_finds_them()
    {
        using var ws = new SeriesWorkspace();
        var kernel = new SmallKernel(ws);
        PackSuse(ws);
        var reporter = new RecordingReporter();

        var result = ws.Apply(reporter: reporter);

        Assert.Equal(6, result.Applied);
        TreeSnapshot.AssertSame(kernel.States[^1], TreeSnapshot.Contents(result.Tree));
        string unpacked = Path.Combine(ws.Scratch, PatchArchives.UnpackedName);
        Assert.Contains($"stage: unpacking {Path.Combine(ws.Source, "patches.suse.tar.bz2")}", reporter.Lines);
        Assert.True(File.Exists(Path.Combine(unpacked, "patches.suse", "sched-fix.patch")));
        Assert.True(File.Exists(Path.Combine(unpacked, "patches.kernel.org", "6.1.1-001-extraversion.patch")));
        Assert.Equal("CONFIG_KPK=y\n", File.ReadAllText(Path.Combine(unpacked, "config.addon", "x86_64", "default")));
        // quilt's patches link leads to the unpacked copy, so quilt pop and push work on it.
        Assert.Equal(unpacked, Path.GetFullPath(Path.Combine(result.Tree, new FileInfo(Path.Combine(result.Tree, "patches")).LinkTarget!)));
        Assert.Empty(Directory.GetFileSystemEntries(ws.Scratch, ".kpk-*"));

        // The same archives again: the copy is reused.
        var again = new RecordingReporter();
        ws.Apply(reporter: again);
        Assert.Contains($"patch archives unchanged; using {unpacked}", again.Lines);
    }

    [Fact]
    public void A_missing_patch_is_named_and_a_directory_in_both_forms_is_refused()
    {
        using var ws = new SeriesWorkspace();
        new SmallKernel(ws);
        PackSuse(ws);
        File.AppendAllText(ws.SeriesConf, "\tpatches.suse/not-there.patch\n");
        var e = Assert.Throws<KpkException>(() => ws.Apply());
        Assert.Contains("patch patches.suse/not-there.patch not found", e.Message);
        Assert.False(Directory.Exists(ws.Tree()));

        using var both = new SeriesWorkspace();
        new SmallKernel(both);
        Tar(both.Source, "-cjf", "patches.suse.tar.bz2", "patches.suse");
        e = Assert.Throws<KpkException>(() => both.Apply());
        Assert.Contains("patches.suse/ is there both as a directory and in an archive", e.Message);
        Assert.False(Directory.Exists(Path.Combine(both.Scratch, PatchArchives.UnpackedName)));
        Assert.Empty(Directory.GetFileSystemEntries(both.Scratch, ".kpk-*"));
    }
}
