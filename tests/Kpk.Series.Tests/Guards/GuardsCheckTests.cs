using System.Text;
using Kpk.Tests;
using Xunit;

namespace Kpk.Series.Tests.Guards;

/// <summary>guards --check (files on disk against the list) compared with the reference.</summary>
public class GuardsCheckTests
{
    private static byte[] Bytes(string latin1) => Encoding.Latin1.GetBytes(latin1);

    /// <summary>A patch tree with subdirectories, names guards ignores, a symlinked directory, and a file list.</summary>
    private static TempDir PatchTree()
    {
        var dir = TestPaths.TempDir("kpk-guards-check");
        foreach (string file in new[] { "pat/a.patch", "pat/b.patch", "pat/sub/c.patch", "pat/sub/deeper/d.patch", "pat/x~", "pat/CVS",
                     "pat/.#lock", "pat/.hidden", "pat/sub/CVS/e", "other/o.patch", "other/a.patch", "series", "pat/0" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(dir[file])!);
            File.WriteAllText(dir[file], "");
        }
        Directory.CreateSymbolicLink(dir["pat/link"], "../other");
        File.CreateSymbolicLink(dir["pat/dangling"], "nowhere");
        File.WriteAllText(dir["list"], "pat/a.patch\npat/zz\n\npat/sub/c.patch\r\npat/a.patch\nother/o.patch");
        File.WriteAllText(dir["series"], "pat/a.patch\n+x pat/b.patch pat/a.patch\n- pat/sub/c.patch\npat/missing.patch\nother/o.patch\n");
        return dir;
    }

    private static readonly string Series = "pat/a.patch\n+x pat/b.patch pat/a.patch\n- pat/sub/c.patch\npat/missing.patch\n-!y other/o.patch\n";

    public static readonly TheoryData<string[]> CheckLines = new()
    {
        new[] { "--check" }, new[] { "--check", "--path=pat" }, new[] { "--check", "--path=pat:other" }, new[] { "-C", "-p", "pat", "-p", "other" },
        new[] { "--check", "--path=@list" }, new[] { "--check", "--path=@list", "--prefix=pat" }, new[] { "--check", "--path=@list", "--prefix=pat/" },
        new[] { "--check", "--config=series", "--path=pat" }, new[] { "--check", "--prefix=pat", "--path=." }, new[] { "--check", "--path=nonexist" },
        new[] { "--check", "--path=series" }, new[] { "--check", "--path=@nonexist" }, new[] { "--check", "--path=@pat" }, new[] { "--check", "--path=" },
        new[] { "--check", "--path", "" }, new[] { "--check", "--path=pat:" }, new[] { "--check", "--path=:pat" }, new[] { "--check", "--path=pat::other" },
        new[] { "--check", "--config= series ", "--path=pat" }, new[] { "--check", "--config=<series" }, new[] { "--check", "--prefix=./", "--path=pat" },
        new[] { "--check", "--prefix=p.t", "--path=@list" }, new[] { "--check", "--prefix=other", "--path=pat" }, new[] { "--check", "--path=pat/sub" },
        new[] { "--check", "--path=pat/", "--path=pat/sub" }, new[] { "--check", "--path=@list:pat" }, new[] { "--check", "--path=./pat" },
        new[] { "--check", "x", "--invert-match", "--path=pat" }, new[] { "-Cp@list", "-dpat" }, new[] { "--check", "--path=pat/link" },
    };

    [Theory]
    [MemberData(nameof(CheckLines))]
    public void Checks_files_like_the_reference(string[] args)
    {
        using var dir = PatchTree();
        GuardsRuns.AssertSame(args, Bytes(Series), dir.Path);
    }

    [Fact]
    public void The_exit_status_counts_problems_modulo_256()
    {
        using var dir = TestPaths.TempDir("kpk-guards-count");
        // 3 and 257 missing files: guards exits with the count of problems, as perl's exit() keeps its low byte.
        foreach (int missing in new[] { 3, 257 })
        {
            string series = string.Concat(Enumerable.Range(0, missing).Select(i => $"p{i}\n"));
            var expected = GuardsRuns.Perl(["--check"], Bytes(series), dir.Path);
            Assert.Equal(missing & 0xFF, expected.Exit);
            GuardsRuns.AssertSame(["--check"], Bytes(series), dir.Path);
        }
    }
}
