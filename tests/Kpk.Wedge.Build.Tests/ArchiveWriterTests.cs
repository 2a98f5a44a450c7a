using System.Text;
using Kpk.Wedge.Deb;
using Xunit;

namespace Kpk.Wedge.Build.Tests;

public class ArchiveWriterTests
{
    [Fact]
    public void Ar_layout_is_the_common_format_byte_for_byte()
    {
        var ms = new MemoryStream();
        var ar = new ArArchiveWriter(ms);
        ar.AddMember("debian-binary", "2.0\n"u8, 1707134400);
        ar.AddMember("odd", "abc"u8, 0, mode: 0b111_101_101);
        string expected =
            "!<arch>\n" +
            "debian-binary   1707134400  0     0     100644  4         `\n" + "2.0\n" +
            "odd             0           0     0     100755  3         `\n" + "abc\n"; // odd size: padded with a newline
        Assert.Equal(expected, Encoding.ASCII.GetString(ms.ToArray()));
    }

    [Fact]
    public void Binutils_ar_lists_and_extracts_the_members()
    {
        using var dir = Kpk.Tests.TestPaths.TempDir("kpk-ar");
        var content = new byte[1001];
        new Random(3).NextBytes(content);
        using (var fs = File.Create(dir["t.a"]))
        {
            var ar = new ArArchiveWriter(fs);
            ar.AddMember("first", content, 1234567890);
            ar.AddMember("second.tar.xz", "x"u8, 1234567890);
        }
        Assert.Equal("first\nsecond.tar.xz\n", ExternalTool.Check("ar", ["t", dir["t.a"]]).Text);
        Assert.Equal(content, ExternalTool.Check("ar", ["p", dir["t.a"], "first"]).Out);
        Assert.Equal("x"u8.ToArray(), ExternalTool.Check("ar", ["p", dir["t.a"], "second.tar.xz"]).Out);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("sixteen-chars-xx")]
    [InlineData("with space")]
    public void Ar_refuses_names_it_cannot_store(string name) =>
        Assert.Throws<ArgumentException>(() => new ArArchiveWriter(new MemoryStream()).AddMember(name, [], 0));

    /// <summary>The same entries given to GNU tar (as dpkg-deb runs it) and to our writer must give the same bytes.</summary>
    [Fact]
    public void Tar_output_is_what_gnu_tar_writes()
    {
        using var f = new UdebFixture().StageAll();
        string root = f.PackageDir(UdebFixture.Package("nic-modules"));
        var tree = PackageTree.Scan(root);
        const long mtime = 1_600_000_000;
        byte[] ours = DebArchive.DataTar(tree, mtime);

        // GNU tar reads the names in our order and finds hard links itself.
        string list = f["list"];
        File.WriteAllText(list, string.Concat(tree.Entries.Select(e => (e.ArchiveName == "./" ? "." : e.ArchiveName.TrimEnd('/')) + "\0")));
        byte[] gnu = ExternalTool.Check("tar", ["-cf", "-", "--format=gnu", "--owner=root:0", "--group=root:0", $"--mtime=@{mtime}",
            "--null", "--no-unquote", "--no-recursion", "-T", list], workingDirectory: root).Out;
        Assert.Equal(gnu.Length, ours.Length);
        Assert.True(gnu.AsSpan().SequenceEqual(ours), "tar bytes differ from GNU tar's");
        Assert.Contains(tree.Entries, e => e.IsHardLink);
        Assert.Contains(tree.Entries, e => Encoding.UTF8.GetByteCount(e.ArchiveName) > 100);
        Assert.Contains(tree.Entries, e => e.LinkTarget != null && e.LinkTarget.Length > 100);
    }

    [Fact]
    public void Entries_follow_dpkg_debs_order()
    {
        using var dir = Kpk.Tests.TestPaths.TempDir("kpk-order");
        string t = dir["t"];
        foreach (var d in new[] { "a/z", "B", "empty" }) Directory.CreateDirectory(Path.Combine(t, d));
        foreach (var file in new[] { "a.b", "a/file", "a-c", "_u", "Z", "a/z/q" }) File.WriteAllText(Path.Combine(t, file), "");
        File.CreateSymbolicLink(Path.Combine(t, "lnk"), "a.b");
        File.CreateSymbolicLink(Path.Combine(t, "a/alink"), "x");
        var names = PackageTree.Scan(t).Entries.Select(e => e.ArchiveName);
        // Byte order within each directory, depth first, symbolic links last.
        Assert.Equal(["./", "./B/", "./Z", "./_u", "./a/", "./a/file", "./a/z/", "./a/z/q", "./a-c", "./a.b", "./empty/", "./a/alink", "./lnk"], names);
    }

    [Fact]
    public void Tar_refuses_sizes_and_times_beyond_its_fields()
    {
        var tar = new TarArchiveWriter(new MemoryStream());
        Assert.Throws<ArgumentOutOfRangeException>(() => tar.AddDirectory("./x/", 0b111_101_101, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => tar.AddFile("./x", 0, 0, new MemoryStream(), TarArchiveWriter.MaxEntrySize + 1));
    }

    [Fact]
    public void Installed_size_rounds_each_file_up_and_counts_directories()
    {
        using var dir = Kpk.Tests.TestPaths.TempDir("kpk-size");
        string t = dir["t"];
        Directory.CreateDirectory(Path.Combine(t, "d/e"));
        File.WriteAllBytes(Path.Combine(t, "zero"), []);
        File.WriteAllBytes(Path.Combine(t, "one"), new byte[1]);
        File.WriteAllBytes(Path.Combine(t, "d/kib"), new byte[1024]);
        File.WriteAllBytes(Path.Combine(t, "d/e/kib-and-one"), new byte[1025]);
        File.CreateSymbolicLink(Path.Combine(t, "link"), "zero");
        ExternalTool.Check("ln", [Path.Combine(t, "d/kib"), Path.Combine(t, "hard")]);
        // dirs ., d, d/e = 3; zero 0, one 1, kib 1 (its hard link not again), kib-and-one 2, link 1
        Assert.Equal(3 + 0 + 1 + 1 + 2 + 1, PackageTree.Scan(t).InstalledSize);
    }
}
