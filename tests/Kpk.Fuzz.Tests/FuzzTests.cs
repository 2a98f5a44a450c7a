using Kpk.Fuzz;
using Kpk.Runtime.Tests;
using Kpk.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Kpk.Fuzz.Tests;

/// <summary>
/// A fixed seed set of the fuzzing harness (the long run: bench/Kpk.Bench fuzz). Every damaged
/// object and crafted tarball must be handled: accepted, answered as diff-object documents, or
/// refused with an error naming the file, nothing half-written and nothing read or loaded from
/// outside the archive.
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_fixed_seed_set_is_handled_without_a_single_defect(int seed)
    {
        using var work = TestPaths.TempDir("kpk-fuzz");
        string ko = Fixtures.Module(work.Path, "kpk_fixture");
        byte[] module = File.ReadAllBytes(ko);
        File.Delete(ko);
        var seeds = FuzzRun.Seeds(TestPaths.DiffObjectCases, module);
        Assert.True(seeds.Count > 56, $"only {seeds.Count} seeds");
        var tally = new FuzzRun(work.Path, module, Fixtures.Release, seed).Run(seeds, objects: 150, tarballs: 60, TimeSpan.FromMinutes(2));
        var text = new StringWriter();
        tally.Write(text);
        output.WriteLine(text.ToString());
        Assert.True(tally.Defects.Count == 0, text.ToString());
        // The run really exercised each verb, and both ways out: accepted and refused.
        foreach (string target in new[] { "elf dump", "elf copy", "diff-object", "info tarball", "apply tarball" })
        {
            Assert.True(tally.Count(target, Outcome.Refused) > 0, $"{target}: nothing refused\n{text}");
            Assert.True(tally.Count(target, Outcome.Accepted) + tally.Count(target, Outcome.Answered) > 0, $"{target}: nothing accepted\n{text}");
        }
    }
}
