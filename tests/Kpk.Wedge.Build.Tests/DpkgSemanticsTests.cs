using System.Text;
using Kpk.Core;
using Kpk.Wedge.Deb;
using Xunit;

namespace Kpk.Wedge.Build.Tests;

/// <summary>Version ordering and relationship simplification compared with dpkg's own Perl modules.</summary>
public class DpkgSemanticsTests
{
    private static readonly string[] Versions =
    [
        "1.0", "1.0-1", "1.0-2", "1:0.9", "0:1.0", "1.0~rc1", "1.0~~", "1.0~", "1.0+b1", "1.0a", "1.0.1", "1.00", "1.0-1ubuntu1",
        "2.6.32-5", "6.1.76-1", "6.1.76-1+b1", "6.1.76-1~bpo12+1", "10", "9", "1.2.3~alpha1-0.1", "1.a", "1.+", "1.0-a.b",
        "2:1.0", "1.0-0", "1.0-00", "000.1", "0.1", "1.2-3-4", "3.0~beta", "3.0", "1.0+dfsg-1", "1.0.dfsg-1",
    ];

    [Fact]
    public void Version_order_matches_dpkg()
    {
        var pairs = Versions.SelectMany(a => Versions.Select(b => (a, b))).ToList();
        string input = string.Concat(pairs.Select(p => $"{p.a} {p.b}\n"));
        string script = "use Dpkg::Version; while (<STDIN>) { chomp; my ($a, $b) = split / /; print version_compare($a, $b), \"\\n\"; }";
        var expected = ExternalTool.Check("perl", ["-e", script], Encoding.ASCII.GetBytes(input)).Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(pairs.Count, expected.Length);
        for (int i = 0; i < pairs.Count; i++)
        {
            int ours = Math.Sign(DebianVersion.Parse(pairs[i].a).CompareTo(DebianVersion.Parse(pairs[i].b)));
            Assert.True(int.Parse(expected[i]) == ours, $"{pairs[i].a} vs {pairs[i].b}: dpkg says {expected[i]}, kpk {ours}");
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("a1.0")]
    [InlineData("1.0-")]
    [InlineData("x:1.0")]
    [InlineData("1.0 beta")]
    [InlineData("1.0_1")]
    [InlineData("1.-")]
    public void Invalid_versions_are_refused(string text) => Assert.False(DebianVersion.TryParse(text, out _, out _));

    private static readonly (string Field, string Value)[] Relationships =
    [
        ("Depends", "a, b, a"),
        ("Depends", "foo (>= 1.0), foo (>= 2.0)"),
        ("Depends", "foo (>= 2.0), foo (>= 1.0)"),
        ("Depends", "foo (<< 2), foo (<= 1.5), foo (= 1.2)"),
        ("Depends", "a (>= 1) | b, a"),
        ("Depends", "a | b, c, a"),
        ("Depends", "self-pkg, self-pkg (>= 0.5), self-pkg (<< 0.5), virt, vv (>= 1), vv (>= 3), other"),
        ("Depends", "x [amd64] | y [!amd64], z [i386 arm64], w [linux-any], q [any-i386], r [!i386]"),
        ("Depends", "p <!nocheck>, q <stage1>, s <stage1 cross> <!stage1>"),
        ("Depends", ", leading, , double,, trailing,"),
        ("Depends", "spaced   (  >=   1.0  )  ,   tight(<<2)|other"),
        ("Depends", "old (> 1), older (< 2)"),
        ("Depends", "qual:any, qual, qual:amd64 (>= 1)"),
        ("Depends", "e (= 1:1.0), e (>= 1.0)"),
        ("Depends", "a | b | c, a | b"),
        ("Depends", "a | b, a | b | c"),
        ("Provides", "zeta, alpha, zeta, beta (= 1.0)"),
        ("Provides", "m (= 2), m (= 1), m"),
        ("Conflicts", "c2, c1, c1 (<< 2), c0 (>= 1), c0 (>= 2)"),
        ("Breaks", "b (<< 1.0), b (<< 2.0), a (>= 3), a (<< 1)"),
        ("Replaces", "r (<= 1), r (<< 1), r (= 1)"),
        ("Enhances", "e, d"),
    ];

    [Fact]
    public void Relationship_simplification_matches_dpkg()
    {
        const string host = "amd64";
        string script = """
            use Dpkg::Deps; use Dpkg::Deps::KnownFacts;
            my $facts = Dpkg::Deps::KnownFacts->new();
            $facts->add_installed_package('self-pkg', '1.0', 'amd64', 'no');
            $facts->add_provided_package('virt', undef, undef, 'self-pkg');
            $facts->add_provided_package('vv', '=', '2.0', 'self-pkg');
            while (<STDIN>) {
                chomp; my ($field, $value) = split /\t/, $_, 2;
                my $union = $field =~ /^(Provides|Conflicts|Breaks|Replaces|Enhances)$/ ? 1 : 0;
                my $dep = deps_parse($value, use_arch => 1, reduce_arch => 1, host_arch => 'amd64', reduce_profiles => 1,
                                     build_profiles => [], union => $union, virtual => ($field eq 'Provides' ? 1 : 0));
                if (!defined $dep) { print "ERROR\n"; next; }
                if ($union) { $dep->simplify_deps($facts); $dep->sort(); } else { $dep->simplify_deps($facts); }
                print $dep->output(), "\n";
            }
            """;
        string input = string.Concat(Relationships.Select(r => $"{r.Field}\t{r.Value}\n"));
        var expected = ExternalTool.Check("perl", ["-e", script], Encoding.UTF8.GetBytes(input), environment: new Dictionary<string, string> { ["DEB_BUILD_PROFILES"] = "" })
            .Text.Split('\n').SkipLast(1).ToArray();
        Assert.Equal(Relationships.Length, expected.Length);

        var facts = new KnownFacts("self-pkg", DebianVersion.Parse("1.0"));
        facts.AddProvided(DependencyTerm.TryParse("virt")!);
        facts.AddProvided(DependencyTerm.TryParse("vv (= 2.0)")!);
        for (int i = 0; i < Relationships.Length; i++)
        {
            var (field, value) = Relationships[i];
            bool union = field is "Provides" or "Conflicts" or "Breaks" or "Replaces" or "Enhances";
            var dep = DependencyField.Parse(value, host, [], union, field == "Provides", out _);
            string ours;
            if (dep == null) ours = "ERROR";
            else
            {
                if (union) dep.SimplifyUnion();
                else dep.SimplifyAnd(facts, []);
                ours = dep.ToString();
            }
            Assert.True(expected[i] == ours, $"{field}: {value}\n  dpkg: {expected[i]}\n  kpk:  {ours}");
        }
    }

    [Fact]
    public void Control_paragraphs_parse_and_format_like_dpkg()
    {
        string text = "# comment\nSource: x\nDescription: first\n second\n .\n ..\n   indented\nEmpty:\n\n\n \nPackage: y   \nArchitecture: any\n";
        var ps = ControlParagraph.ParseAll(text, "c");
        Assert.Equal(2, ps.Count);
        Assert.Equal("first\nsecond\n\n.\n  indented", ps[0]["description"]);
        Assert.Equal("", ps[0]["Empty"]);
        Assert.Equal("y", ps[1]["Package"]);
        Assert.Equal(12, ps[1].Line);
        Assert.Equal("Description: first\n second\n .\n ..\n   indented\n", ControlParagraph.FormatField("Description", ps[0]["Description"]!));
    }

    [Theory]
    [InlineData("Source: x\n continued\nA: b\n other: x\n\n more", "c:6: continued value line not in field")]
    [InlineData(" leading\n", "c:1: continued value line not in field")]
    [InlineData("Source: x\nSource: y\n", "c:2: duplicate field Source found")]
    [InlineData("Source: x\n-Bad: y\n", "c:2: field cannot start with a hyphen")]
    public void Control_syntax_errors_name_file_and_line(string text, string message) =>
        Assert.Equal(message, Assert.Throws<KpkException>(() => ControlParagraph.ParseAll(text, "c")).Message);

    [Fact]
    public void Changelog_gives_name_version_and_date()
    {
        var c = DebianChangelog.Parse(["linux (6.1.76-1) bookworm-security; urgency=high", "", "  * x", "", " -- Ben <ben@example.org>  Tue, 06 Feb 2024 01:02:03 +0100"], "cl");
        Assert.Equal("linux", c.Source);
        Assert.Equal("6.1.76-1", c.Version.Text);
        Assert.Equal(1707177723, c.Timestamp);
    }
}
