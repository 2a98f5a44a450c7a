using System.Text;
using Xunit;

namespace Kpk.Series.Tests.Guards;

/// <summary>Randomly made guarded lists (fixed seeds, so a failure repeats) compared with the reference.</summary>
public class GuardsRandomTests
{
    private static readonly string[] GuardPool = ["+a", "-a", "+!a", "-!a", "+b", "-b", "+!b", "-!b", "+c", "-!c", "+", "-", "+!", "-!", "+a+", "-ab"];
    private static readonly string[] FilePool = ["p1", "p2", "dir/p3.patch", "x.patch", "caf\xe9", "a", "b", "+", "\\", "p#q"];
    private static readonly string[] Separators = [" ", "\t", "  ", " \t ", "\v", "\f", "\r"];

    /// <summary>A random guarded list: guards and files, comments in and out of place, continuations, odd white space and line ends.</summary>
    public static string RandomList(int seed)
    {
        var random = new Random(seed);
        T Pick<T>(T[] pool) => pool[random.Next(pool.Length)];
        var text = new StringBuilder();
        int lines = random.Next(0, 25);
        for (int line = 0; line < lines; line++)
        {
            if (random.Next(4) == 0) text.Append(Pick(Separators));
            int guards = random.Next(0, 4), files = random.Next(0, 3);
            var tokens = new List<string>();
            for (int g = 0; g < guards; g++) tokens.Add(Pick(GuardPool));
            for (int f = 0; f < files; f++) tokens.Add(Pick(FilePool));
            if (random.Next(3) == 0 && tokens.Count > 0) tokens.Insert(random.Next(tokens.Count), Pick(GuardPool)); // guards between files
            for (int t = 0; t < tokens.Count; t++)
            {
                if (t > 0) text.Append(Pick(Separators));
                text.Append(tokens[t]);
            }
            switch (random.Next(10))
            {
                case 0: text.Append(" # comment"); break;
                case 1: text.Append("#glued"); break;
                case 2: text.Append(" \\"); break;
                case 3: text.Append('\\'); break;
                case 4: text.Append("\t#\\"); break;
            }
            if (random.Next(8) == 0) text.Append('\r');
            if (line < lines - 1 || random.Next(3) > 0) text.Append('\n');
        }
        return text.ToString();
    }

    private static string[] RandomSymbols(Random random) =>
        new[] { "a", "b", "c", "!" }.Where(_ => random.Next(2) == 0).ToArray();

    public static IEnumerable<object[]> Seeds() => Enumerable.Range(1, 40).Select(seed => new object[] { seed });

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_lists_select_like_the_reference(int seed)
    {
        byte[] input = Encoding.Latin1.GetBytes(RandomList(seed));
        var random = new Random(seed * 7919);
        string[] symbols = RandomSymbols(random);
        GuardsRuns.AssertSame(symbols, input);
        GuardsRuns.AssertSame(["--invert-match", .. symbols], input);
        GuardsRuns.AssertSame(["--default=0", .. RandomSymbols(random)], input);
        GuardsRuns.AssertSame(["--list", "--with-guards", "--prefix=pre"], input);
    }

    [Fact]
    public void The_generator_makes_what_the_tests_need()
    {
        // The random lists must hold the constructs the comparison is meant to cover.
        string all = string.Concat(Enumerable.Range(1, 40).Select(RandomList));
        foreach (string construct in new[] { "\\\n", "#glued", " # comment", "\r\n", "\v", "+!a", "-!b" })
            Assert.Contains(construct, all);
    }
}
