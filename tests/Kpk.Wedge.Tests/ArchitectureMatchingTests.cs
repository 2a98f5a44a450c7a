using System.Diagnostics;
using Xunit;

namespace Kpk.Wedge.Tests;

/// <summary>
/// kpk's one architecture matcher against dpkg's: every host × wildcard pair of a table through
/// Dpkg::Arch's debarch_is (in one perl process), and a sample of them, including the pairs the two
/// old matchers disagreed on, through <c>dpkg-architecture -a HOST -i WILDCARD</c> itself.
/// </summary>
public class ArchitectureMatchingTests
{
    private static readonly string[] Hosts =
    [
        "amd64", "i386", "arm64", "armhf", "armel", "arm", "x32", "arm64ilp32", "mips64el", "mipsn32el", "mips64r6el",
        "powerpcspe", "ppc64el", "s390x", "riscv64", "loong64", "musl-linux-amd64", "musl-linux-armhf", "musl-linux-arm64",
        "uclibc-linux-armel", "kfreebsd-amd64", "kfreebsd-armhf", "hurd-i386", "hurd-amd64", "knetbsd-i386",
        "freebsd-amd64", "darwin-arm64", "solaris-sparc64", "uclinux-armel", "mint-m68k", "linux-amd64",
    ];

    private static readonly string[] Wildcards =
    [
        "any", "linux-any", "any-amd64", "any-i386", "any-arm", "any-arm64", "any-mips64el", "kfreebsd-any", "hurd-any",
        "gnu-linux-any", "musl-linux-any", "musl-any-any", "gnu-any-any", "any-linux-any", "uclibc-linux-any",
        "eabihf-any-any-arm", "eabi-any-any-arm", "any-any-any-arm", "base-any-any-amd64", "x32-any-any-any",
        "abi64-any-any-any", "bsd-any-any", "bsd-freebsd-any", "any-any-amd64", "amd64", "i386", "armhf", "linux-amd64",
        "musl-linux-amd64", "kfreebsd-amd64", "any-linux", "linux-any-any", "foo-any", "any-foo",
    ];

    private static bool Ours(string host, string wildcard) => DebianArchitecture.Matches(host, wildcard);

    [Fact]
    public void Every_pair_of_the_table_matches_as_Dpkg_Arch_matches_it()
    {
        var pairs = Hosts.SelectMany(h => Wildcards.Select(w => (h, w))).ToList();
        string script = "use Dpkg::Arch qw(debarch_is); while (<STDIN>) { chomp; my ($h, $w) = split / /; print debarch_is($h, $w) ? 1 : 0, \"\\n\"; }";
        var psi = new ProcessStartInfo("perl") { RedirectStandardInput = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-e");
        psi.ArgumentList.Add(script);
        using var perl = Process.Start(psi)!;
        foreach (var (h, w) in pairs) perl.StandardInput.WriteLine($"{h} {w}");
        perl.StandardInput.Close();
        string[] answers = perl.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        perl.WaitForExit();
        Assert.Equal(pairs.Count, answers.Length);
        var wrong = pairs.Where((p, i) => Ours(p.h, p.w) != (answers[i] == "1")).Select(p => $"{p.h} {p.w} (dpkg: {answers[pairs.IndexOf(p)]})").ToList();
        Assert.True(wrong.Count == 0, "kpk and dpkg disagree on: " + string.Join(", ", wrong));
        // The table exercises both answers plenty.
        Assert.InRange(answers.Count(a => a == "1"), 100, pairs.Count - 100);
    }

    public static TheoryData<string, string> Sample => new()
    {
        { "musl-linux-amd64", "linux-any" }, { "amd64", "gnu-linux-any" }, { "musl-linux-amd64", "gnu-linux-any" },
        { "amd64", "musl-linux-any" }, { "armhf", "any-arm" }, { "armel", "eabihf-any-any-arm" }, { "x32", "amd64" },
        { "x32", "any-amd64" }, { "kfreebsd-amd64", "linux-any" }, { "hurd-i386", "hurd-any" }, { "i386", "any-amd64" },
        { "linux-amd64", "amd64" }, { "amd64", "linux-amd64" }, { "mips64el", "abi64-any-any-any" }, { "arm64", "any-any-arm64" },
    };

    [Theory]
    [MemberData(nameof(Sample))]
    public void Dpkg_architecture_is_answers_the_same(string host, string wildcard)
    {
        var psi = new ProcessStartInfo("dpkg-architecture") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "-a", host, "-i", wildcard }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode is 0 or 1, $"dpkg-architecture -a {host} -i {wildcard}: exit {p.ExitCode}: {err}");
        Assert.Equal(p.ExitCode == 0, Ours(host, wildcard));
    }
}
