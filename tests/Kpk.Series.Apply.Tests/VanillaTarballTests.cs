using Kpk.Core;

namespace Kpk.Series.Apply.Tests;

public class VanillaTarballTests
{
    /// <summary>Packs the workspace's vanilla tree as linux-6.1/ in a tarball, as kernel.org ships it.</summary>
    private static string Pack(SeriesWorkspace ws, string extension, string flag)
    {
        string tarball = Path.Combine(ws.Root, "linux-6.1" + extension);
        var run = Tools.Run("tar", ws.Root, flag, "-cf", tarball, "linux-6.1");
        Assert.True(run.Exit == 0, run.Err);
        return tarball;
    }

    [Theory]
    [InlineData(".tar.gz", "-z")]  // unpacked by .NET itself
    [InlineData(".tar", "--format=gnu")]
    [InlineData(".tar.xz", "-J")]  // unpacked by tar(1)
    [InlineData(".tar.bz2", "-j")]
    public void A_tarball_is_unpacked_once_into_the_scratch_area_and_patched(string extension, string flag)
    {
        using var ws = new SeriesWorkspace();
        var kernel = new SmallKernel(ws);
        string tarball = Pack(ws, extension, flag);

        var reporter = new RecordingReporter();
        var result = ws.Apply(o => o with { Vanilla = tarball }, reporter);

        string cache = Path.Combine(ws.Scratch, "linux-6.1.orig");
        Assert.Equal(ws.Tree(), result.Tree);
        TreeSnapshot.AssertSame(kernel.States[^1], TreeSnapshot.Contents(result.Tree));
        TreeSnapshot.AssertSame(kernel.States[0], TreeSnapshot.Contents(cache));
        Assert.Contains(reporter.Lines, l => l.Contains("unpacking " + tarball));
        // The unpacked tree is protected against edits through hard links: no file is writable.
        Assert.Equal(0, (int)(File.GetUnixFileMode(Path.Combine(cache, "kernel/sched.c")) & (UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)));
        Assert.Equal(UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(cache, "scripts/run.sh")) & UnixFileMode.UserExecute);
        Assert.Equal("empty.h", new FileInfo(Path.Combine(cache, "include/alias.h")).LinkTarget);
        Assert.Equal(Tools.Stat(Path.Combine(cache, "include/empty.h")).Inode, Tools.Stat(Path.Combine(result.Tree, "include/empty.h")).Inode);
        Assert.Empty(Directory.GetFileSystemEntries(ws.Scratch, ".kpk-*"));

        // A second run reuses the unpacked tree.
        var cacheManifest = TreeSnapshot.Manifest(cache);
        long inode = Tools.Stat(Path.Combine(cache, "Makefile")).Inode;
        reporter = new RecordingReporter();
        result = ws.Apply(o => o with { Vanilla = tarball }, reporter);
        Assert.DoesNotContain(reporter.Lines, l => l.Contains("unpacking"));
        Assert.Contains(reporter.Lines, l => l.StartsWith("using " + cache));
        Assert.Equal(inode, Tools.Stat(Path.Combine(cache, "Makefile")).Inode);
        TreeSnapshot.AssertSame(cacheManifest, TreeSnapshot.Manifest(cache));
        TreeSnapshot.AssertSame(kernel.States[^1], TreeSnapshot.Contents(result.Tree));
    }

    [Fact]
    public void A_changed_tarball_is_unpacked_again()
    {
        using var ws = new SeriesWorkspace();
        var kernel = new SmallKernel(ws);
        string tarball = Pack(ws, ".tar.gz", "-z");
        ws.Apply(o => o with { Vanilla = tarball });

        File.AppendAllText(Path.Combine(ws.Vanilla, "README"), "new file in the new tarball\n");
        File.Delete(tarball);
        Pack(ws, ".tar.gz", "-z");
        File.SetLastWriteTimeUtc(tarball, DateTime.UtcNow.AddMinutes(1));
        var reporter = new RecordingReporter();
        var result = ws.Apply(o => o with { Vanilla = tarball }, reporter);
        Assert.Contains(reporter.Lines, l => l.Contains("changed since it was unpacked"));
        Assert.Equal("new file in the new tarball\n", File.ReadAllText(Path.Combine(result.Tree, "README")));
    }

    [Theory]
    [InlineData("linux-6.1.tar.gz", "cannot unpack")]
    [InlineData("linux-6.1.tar.xz", "tar could not unpack it")]
    public void A_corrupt_tarball_is_reported_and_nothing_is_left(string name, string expected)
    {
        using var ws = new SeriesWorkspace();
        new SmallKernel(ws);
        string tarball = Path.Combine(ws.Root, name);
        File.WriteAllText(tarball, "this is not an archive at all, just some text that goes on for a while\n");
        var e = Assert.Throws<KpkException>(() => ws.Apply(o => o with { Vanilla = tarball }));
        Assert.StartsWith(tarball + ": ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(ws.Scratch));
    }

    [Fact]
    public void Unknown_archives_and_foreign_cache_directories_are_refused()
    {
        using var ws = new SeriesWorkspace();
        new SmallKernel(ws);
        string zip = Path.Combine(ws.Root, "linux-6.1.zip");
        File.WriteAllText(zip, "PK");
        var e = Assert.Throws<KpkException>(() => ws.Apply(o => o with { Vanilla = zip }));
        Assert.Contains("not a directory nor a .tar", e.Message);

        e = Assert.Throws<KpkException>(() => ws.Apply(o => o with { Vanilla = Path.Combine(ws.Root, "nothing-here") }));
        Assert.Contains("no such vanilla tree or tarball", e.Message);

        string tarball = Pack(ws, ".tar.gz", "-z");
        Directory.CreateDirectory(Path.Combine(ws.Scratch, "linux-6.1.orig"));
        File.WriteAllText(Path.Combine(ws.Scratch, "linux-6.1.orig", "mine"), "x");
        e = Assert.Throws<KpkException>(() => ws.Apply(o => o with { Vanilla = tarball }));
        Assert.Contains("was not unpacked by kpk", e.Message);
        Assert.True(File.Exists(Path.Combine(ws.Scratch, "linux-6.1.orig", "mine")));
    }
}
