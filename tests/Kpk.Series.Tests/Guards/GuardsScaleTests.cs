using System.Diagnostics;
using System.Text;
using Kpk.Series.Guards;
using Xunit;

namespace Kpk.Series.Tests.Guards;

/// <summary>Long backslash-continued lines: the same answers as the reference, in time linear in the input.</summary>
public class GuardsScaleTests
{
    /// <summary>One logical line over <paramref name="lines"/> physical ones: guards and files alternating, some tabs.</summary>
    private static byte[] Continued(int lines)
    {
        var text = new StringBuilder();
        for (int i = 0; i < lines; i++)
        {
            text.Append(i % 3 == 0 ? $"+sym{i % 7} " : $"patches/f{i}.patch");
            if (i % 50 == 0) text.Append('\t');
            text.Append(i + 1 < lines ? " \\\n" : "\n");
        }
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    [Theory]
    [InlineData("sym1")]
    [InlineData("--list")]
    [InlineData("--list", "--with-guards")]
    public void A_line_continued_over_two_thousand_lines_is_read_as_the_reference_reads_it(params string[] args) =>
        GuardsRuns.AssertSame(args, Continued(2000));

    [Fact]
    public void Files_on_continued_lines_keep_their_physical_line_and_their_own_guards()
    {
        var entries = GuardedList.Parse(ByteText.FromBytes(Continued(10)));
        Assert.Equal([2, 3, 5, 6, 8, 9], entries.Select(e => e.Line));
        Assert.Equal(["+sym0"], entries[0].Guards);
        Assert.Equal(["+sym0", "+sym3", "+sym6"], entries[4].Guards);
        Assert.Equal(["+sym0", "+sym3", "+sym6"], entries[5].Guards);
        Assert.Equal(["+sym0"], entries[1].Guards);
    }

    [Fact]
    public void Two_hundred_thousand_continued_lines_take_seconds_not_hours()
    {
        // Quadratic reading took 19 s for 20,000 lines, so about half an hour for 200,000; linear
        // reading takes well under a second. The bound is loose enough for a machine under load.
        byte[] input = Continued(200_000);
        var clock = Stopwatch.StartNew();
        var entries = GuardedList.Parse(ByteText.FromBytes(input));
        // Each file has the up to 66,667 guards before it on the line: selecting must not walk them all per file.
        var selected = GuardEvaluator.Select(entries, new HashSet<string> { "sym3" }).ToList();
        clock.Stop();
        Assert.Equal(200_000 - (200_000 + 2) / 3, entries.Count);
        // +sym3 is first written on line 4 and, with no -guard after it, selects every later file.
        Assert.Equal(entries.Count - 2, selected.Count);
        Assert.Equal(5, selected[0].Line);
        Assert.Equal(200_000, entries[^1].Line);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"reading took {clock.Elapsed.TotalSeconds:0.0} s");
    }
}
