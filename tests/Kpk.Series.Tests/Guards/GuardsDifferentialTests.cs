using System.Text;
using Xunit;

namespace Kpk.Series.Tests.Guards;

/// <summary>kpk guards against /usr/bin/guards on hand-written inputs and command lines.</summary>
public class GuardsDifferentialTests
{
    private static byte[] Bytes(string latin1) => Encoding.Latin1.GetBytes(latin1);

    /// <summary>Inputs that exercise the grammar: guards, comments, continuations, white space, odd bytes.</summary>
    public static readonly TheoryData<string, string> Inputs = new()
    {
        { "basic", "a\n+x b\n-x c\n+!x d\n-!x e\n+ f\n- g\n" },
        { "several files per line", "+x a b -y c\n-x +y d e\n+x -x +x f\n-x +x -x g\n" },
        { "comments", "#c\na # c\nb#notcomment\n\t# indented\nc\t#tab\n d  #  x\n+x#y e\n#\n # \nf#\ng \t # h i\n" },
        { "continuations", "+x \\\n a \\\n b\nc \\\n# comment line\nd\n\\\ne\n+y\\\nf\ng \\" },
        { "continuation after comment", "a \\ # comment\nb\n+x \\\n+y c\nd\\# e\nf \\#g\nh\n" },
        { "white space", "a\tb\r\nc\vd\fe\n  \n\t\n+x\vf\n\r\n g\x1ch\n\x85i\xa0j\n" },
        { "crlf", "+x a\r\nb\\\r\nc\r\n# d\r\ne #f\r\n" },
        { "high bytes", "+\xe9t\xe9 caf\xe9\n\xff\xfe\n+\xa0x y\xa0z\n+caf\xc3\xa9 utf8\n" },
        { "no final newline", "a\n+x b" },
        { "empty", "" },
        { "only comments", "# a\n#b\n   # c\n" },
        { "odd guards", "+! a\n-! b\n+!x! c\n+-x d\n-+x e\n++ f\n-- g\n+!!x h\n+!- i\n-!+ j\n" },
        { "guards without files", "+x\n-y\n+x a\n-\n+\n" },
        { "NUL and controls", "a\0b\n+x\0 c\n\x01d\n" },
    };

    /// <summary>Command lines run on each input.</summary>
    private static readonly string[][] SelectionArgs =
    [
        [], ["x"], ["y"], ["x", "y"], ["--invert-match", "x"], ["-v"], ["--default=0"], ["--default=0", "-v", "x"],
        ["--default=2"], ["--default=2", "-v"], ["--default=-1", "-v", "y"], ["--list"], ["--list", "--with-guards"], ["-lw"],
        ["--with-guards", "x"], ["--prefix=p"], ["--prefix=p/", "--list", "-w"], ["-d", "./", "x"], ["-d", ".", "-v"],
        [""], ["!"], ["-", "+"], ["café"], ["-x"], ["x!"],
    ];

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Selects_and_lists_like_the_reference(string name, string input)
    {
        _ = name;
        foreach (var args in SelectionArgs) GuardsRuns.AssertSame(args, Bytes(input));
    }

    /// <summary>Getopt::Long's ways: bundles, abbreviations, case, values, errors and the help they lead to.</summary>
    public static readonly TheoryData<string[]> OptionLines = new()
    {
        new[] { "+foo" }, new[] { "+l" }, new[] { "+" }, new[] { "-lxz" }, new[] { "-D1_0" }, new[] { "--default=1_0" },
        new[] { "-Dx" }, new[] { "--C=s" }, new[] { "--FOO" }, new[] { "---list" }, new[] { "--list=1" }, new[] { "--list=" },
        new[] { "--prefix=" }, new[] { "-d" }, new[] { "--def=x" }, new[] { "x", "-h" }, new[] { "-h" }, new[] { "--help" },
        new[] { "--", "--list" }, new[] { "x", "--", "-v" }, new[] { "-D-0x" }, new[] { "-D", "5" }, new[] { "-D" },
        new[] { "--default" }, new[] { "--default", "x" }, new[] { "--default", "-1" }, new[] { "--default=-1", "-v" },
        new[] { "--default=99999999999999999999", "-h" }, new[] { "--default=18446744073709551615", "-h" },
        new[] { "--default=18446744073709551616", "-h" }, new[] { "--default=-9223372036854775808", "-h" },
        new[] { "--default=-9223372036854775809", "-h" }, new[] { "--default=007", "-h" }, new[] { "--default=+1", "-v" },
        new[] { "--default=-0", "-v" }, new[] { "--default=_1" }, new[] { "--default=1__", "-v" }, new[] { "--default=1.5" },
        new[] { "-D1_0", "-h" }, new[] { "-D-_5", "-h" }, new[] { "-D_5" }, new[] { "-D+3", "-v" }, new[] { "-D00" },
        new[] { "-D99999999999999999999_1", "-h" }, new[] { "--li" }, new[] { "--lis", "--wi" }, new[] { "--with" },
        new[] { "--inv" }, new[] { "--i" }, new[] { "--c" }, new[] { "--co=-" }, new[] { "--ch" }, new[] { "--pre=x", "--li" },
        new[] { "--p=.", "--ch" }, new[] { "+list", "+with-guards" }, new[] { "+prefix", "x", "+list" }, new[] { "+prefix=x" },
        new[] { "-ldx" }, new[] { "-dx", "-l" }, new[] { "-l", "-d", "--list" }, new[] { "-c", "-" }, new[] { "-c" },
        new[] { "--config" }, new[] { "-vD0" }, new[] { "-D0v" }, new[] { "-D0", "-v" }, new[] { "--help=1" }, new[] { "--h" },
        new[] { "-H" }, new[] { "--HELP" }, new[] { "-L" }, new[] { "--LIST" }, new[] { "--Default=0" }, new[] { "-=" },
        new[] { "--=x" }, new[] { "--x=y" }, new[] { "-" }, new[] { "x", "-", "y" }, new[] { "--list", "--bogus", "-h" },
        new[] { "-h", "--bogus" }, new[] { "--bogus", "--bogus2" }, new[] { "-xh" }, new[] { "--D=0" }, new[] { "--V" },
        new[] { "-C", "-l" }, new[] { "-Cl" }, new[] { "--check", "--list" }, new[] { "--pa" }, new[] { "-p" }, new[] { "-pp" },
        new[] { "--path", "--list" }, new[] { "--prefix", "--list", "x" }, new[] { "-D", "--list" }, new[] { "-v", "-v", "x" },
        new[] { "--default=1", "--default=0", "-h" }, new[] { "--prefix=a", "--prefix=b", "-l" }, new[] { "+" + "\u00e9" },
        new[] { "-\u00e9" }, new[] { "--\u00e9t\u00e9" }, new[] { "x", "+" }, new[] { "--", "-h" },
    };

    private const string OptionInput = "a\n+x b\n-x c\n+y d\n";

    [Theory]
    [MemberData(nameof(OptionLines))]
    public void Reads_command_lines_like_the_reference(string[] args) => GuardsRuns.AssertSame(args, Bytes(OptionInput));

    /// <summary>With POSIXLY_CORRECT, Getopt::Long stops at the first symbol, + starts nothing and names are not abbreviated.</summary>
    public static readonly TheoryData<string[]> PosixLines = new()
    {
        new[] { "x", "--list" }, new[] { "+x" }, new[] { "--lis" }, new[] { "--LIST" }, new[] { "--LISX" }, new[] { "-lw", "a", "-v" },
        new[] { "--", "-v" }, new[] { "-v", "x" }, new[] { "--c=-", "y" }, new[] { "--check", "--path=/nonexistent" },
    };

    [Theory]
    [MemberData(nameof(PosixLines))]
    public void Honours_POSIXLY_CORRECT_like_the_reference(string[] args) => GuardsRuns.AssertSame(args, Bytes(OptionInput), posixlyCorrect: true);

    [Fact]
    public void Fails_on_unreadable_lists_like_the_reference()
    {
        using var dir = Kpk.Tests.TestPaths.TempDir("kpk-guards");
        File.WriteAllText(dir["series"], "a\n+x b\n");
        Directory.CreateDirectory(dir["sub"]);
        string[][] lines =
        [
            ["--config=missing"], ["--config=sub"], ["--config=series/x"], ["--config="], ["-c", ""], ["--config= series "],
            ["--config=<series"], ["--config=< series"], ["--config=<-"], ["--config= -"], ["--config=" + new string('a', 300)],
            ["--config=missing", "--check", "--path=missing"], ["-c", "sub/../series", "-l"], ["-c", dir["series"], "x"],
        ];
        foreach (var args in lines) GuardsRuns.AssertSame(args, Bytes("stdin\n"), dir.Path);
    }
}
