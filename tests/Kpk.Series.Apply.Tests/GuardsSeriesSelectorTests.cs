using System.Text;

namespace Kpk.Series.Apply.Tests;

/// <summary>The stand-in selector chooses what /usr/bin/guards (quilt's reference) chooses.</summary>
public class GuardsSeriesSelectorTests
{
    private static List<string> Reference(string seriesPath, string[] symbols)
    {
        var run = Tools.RunWith("/usr/bin/guards", "/", File.ReadAllText(seriesPath), symbols);
        Assert.True(run.Exit == 0, run.Err);
        return run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    private static List<string> Ours(string seriesPath, string[] symbols) =>
        new GuardsSeriesSelector().Select(seriesPath, symbols).Select(p => p.Name).ToList();

    [Fact]
    public void Handwritten_cases_match_guards()
    {
        using var dir = TestPaths.TempDir("kpk-guards");
        string path = dir["series.conf"];
        File.WriteAllText(path, string.Join("\n",
            "# comment", "plain.patch", "  indented.patch   # trailing comment", "x#y.patch",
            "+a only-a.patch", "-a not-a.patch", "+!a unless-a.patch", "-!a need-a.patch",
            "+ always-plus.patch", "- never.patch", "+a -b a-not-b.patch", "-a +b b-wins-over-a.patch",
            "+a first.patch -a second.patch third.patch",
            "+a \\", "  continued.patch", "two.patch three.patch", "\t+b\ttabbed.patch", "") + "\n");
        foreach (var symbols in new[] { Array.Empty<string>(), ["a"], ["b"], ["a", "b"], ["c"] })
            Assert.Equal(Reference(path, symbols), Ours(path, symbols));
    }

    [Fact]
    public void Generated_series_match_guards()
    {
        var random = new Random(7);
        string[] guards = ["+a", "-a", "+!a", "-!a", "+b", "-b", "+!b", "-!b", "+c.d", "-x_1", "+", "-", "+!", "-!"];
        using var dir = TestPaths.TempDir("kpk-guards");
        string path = dir["series.conf"];
        for (int round = 0; round < 40; round++)
        {
            var text = new StringBuilder();
            int file = 0;
            for (int line = 0; line < 30; line++)
            {
                var tokens = new List<string>();
                int count = random.Next(0, 4);
                for (int g = 0; g < count; g++) tokens.Add(guards[random.Next(guards.Length)]);
                int files = random.Next(0, 3);
                for (int f = 0; f < files; f++) tokens.Insert(random.Next(tokens.Count + 1), $"patches.suse/p{file++}.patch");
                string l = string.Join(random.Next(2) == 0 ? " " : "\t", tokens);
                if (random.Next(6) == 0) l += " # note +a";
                if (random.Next(8) == 0) l += " \\";
                if (random.Next(10) == 0) l = "#" + l;
                text.Append(l).Append('\n');
            }
            File.WriteAllText(path, text.ToString());
            foreach (var symbols in new[] { Array.Empty<string>(), ["a"], ["b", "c.d"], ["a", "b", "x_1"] })
            {
                var expected = Reference(path, symbols);
                var actual = Ours(path, symbols);
                Assert.True(expected.SequenceEqual(actual),
                    $"round {round}, symbols [{string.Join(' ', symbols)}]:\n{text}\nguards: {string.Join(' ', expected)}\nours:   {string.Join(' ', actual)}");
            }
        }
    }

    [Fact]
    public void Lines_are_reported_where_the_patch_is_written()
    {
        using var dir = TestPaths.TempDir("kpk-guards");
        string path = dir["series.conf"];
        File.WriteAllText(path, "# c\n\na.patch\n+x \\\n  b.patch\n");
        var selected = new GuardsSeriesSelector().Select(path, ["x"]);
        Assert.Equal(new[] { ("a.patch", 3), ("b.patch", 5) }, selected.Select(p => (p.Name, p.Line)));
        Assert.Equal($"{path}:3", selected[0].Location);
    }

    [Fact]
    [Trait("Tier", Tier.Conformance)]
    public void The_real_suse_series_selects_what_guards_selects()
    {
        string path = Path.Combine(TestPaths.Conformance, "series", "series.conf");
        foreach (var symbols in new[] { Array.Empty<string>(), ["x86_64"], ["testing", "review"], ["needs_updating", "duwe", "x86_64", "RT"] })
        {
            var expected = Reference(path, symbols);
            Assert.True(expected.Count > 1000, "the real series has over a thousand patches");
            Assert.Equal(expected, Ours(path, symbols));
        }
    }
}
