using Kpk.Core;
using Kpk.Wedge.Deb;
using Xunit;

namespace Kpk.Wedge.Build.Tests;

public class DeterminismTests
{
    private static Dictionary<string, byte[]> BuildInto(UdebFixture f, string outDir, long? epoch = null)
    {
        Directory.CreateDirectory(outDir);
        return UdebBuilder.Build(new UdebBuildOptions { DebianDirectory = f.Debian, OutputDirectory = outDir, HostArch = UdebFixture.Arch, SourceDateEpoch = epoch }, NullReporter.Instance)
            .ToDictionary(b => Path.GetFileName(b.Path), b => File.ReadAllBytes(b.Path));
    }

    [Fact]
    public void Same_input_gives_identical_bytes_even_after_the_files_are_touched_and_copied()
    {
        using var f = new UdebFixture().StageAll();
        var first = BuildInto(f, f["out1"]);
        // New mtimes everywhere, and the tree in another place: neither may change a byte.
        foreach (var path in Directory.EnumerateFileSystemEntries(f.Debian, "*", SearchOption.AllDirectories))
            if (new FileInfo(path).LinkTarget == null) File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddDays(-3));
        var second = BuildInto(f, f["out2"]);
        Assert.Equal(first.Keys.Order(), second.Keys.Order());
        foreach (var (name, bytes) in first) Assert.True(bytes.AsSpan().SequenceEqual(second[name]), name + " differs between two builds");

        using var g = new UdebFixture().StageAll();
        var third = BuildInto(g, g["out3"]);
        foreach (var (name, bytes) in first) Assert.True(bytes.AsSpan().SequenceEqual(third[name]), name + " differs when built from another copy");
    }

    [Fact]
    public void Every_member_carries_the_chosen_time()
    {
        using var f = new UdebFixture().StageAll();
        var built = BuildInto(f, f["out"], epoch: 1_000_000_000);
        string udeb = Path.Combine(f["out"], built.Keys.First());
        // ar's verbose listing shows each member's date; tar's shows each entry's.
        Assert.All(ExternalTool.Check("ar", ["tv", udeb], environment: new Dictionary<string, string> { ["TZ"] = "UTC" }).Text.Trim().Split('\n'),
            l => Assert.Contains("Sep  9 01:46 2001", l));
        var listing = ExternalTool.Check("dpkg-deb", ["--contents", udeb], environment: new Dictionary<string, string> { ["TZ"] = "UTC" }).Text.Trim().Split('\n');
        Assert.All(listing, l => Assert.Contains(" 2001-09-09 01:46 ", l));
    }

    [Fact]
    public void Time_defaults_to_the_changelog_entrys_date()
    {
        using var f = new UdebFixture().StageAll();
        string package = UdebFixture.Package("kernel-image");
        var fromChangelog = BuildInto(f, f["a"]);
        string udeb = Path.Combine(f["a"], fromChangelog.Keys.Single(k => k.StartsWith(package, StringComparison.Ordinal)));
        var tz = new Dictionary<string, string> { ["TZ"] = "UTC" };
        Assert.Contains(" 2024-02-05 12:00 ", ExternalTool.Check("dpkg-deb", ["--contents", udeb], environment: tz).Text);
    }
}
