using Kpk.Core;
using Kpk.Wedge.Deb;
using Xunit;

namespace Kpk.Wedge.Build.Tests;

/// <summary>
/// kpk's udebs against the reference: the same source tree built by debhelper (dh_installdeb,
/// dh_gencontrol, dh_builddeb, i.e. dpkg-gencontrol and <c>dpkg-deb -z6 -Zxz -Sextreme</c>
/// with SOURCE_DATE_EPOCH and root ownership) must give byte-identical .udeb files — so the same
/// control file, tar archives, xz members and ar archive — and the same answers from dpkg-deb and dpkg.
/// </summary>
public class UdebReferenceTests : IClassFixture<UdebReferenceTests.Built>
{
    /// <summary>The fixture built once by both, shared by the tests of this class.</summary>
    public sealed class Built : IDisposable
    {
        public Built()
        {
            Fixture = new UdebFixture().StageAll();
            Before = Fixture.Snapshot();
            Ours = UdebBuilder.Build(new UdebBuildOptions
            {
                DebianDirectory = Fixture.Debian,
                OutputDirectory = Fixture.Output,
                HostArch = UdebFixture.Arch,
                SourceDateEpoch = null, // from the changelog, as debhelper does
            }, Reporter);
            After = Fixture.Snapshot();
            ReferenceDir = Fixture.BuildWithDebhelper();
        }

        public UdebFixture Fixture { get; }
        public RecordingReporter Reporter { get; } = new();
        public IReadOnlyList<BuiltUdeb> Ours { get; }
        public string ReferenceDir { get; }
        public string Before { get; }
        public string After { get; }

        public string Reference(string package) =>
            Directory.GetFiles(ReferenceDir, package + "_*.udeb").Single();

        public string Mine(string package) => Ours.Single(b => b.Package == package).Path;

        public void Dispose() => Fixture.Dispose();
    }

    private readonly Built _built;

    public UdebReferenceTests(Built built) => _built = built;

    public static TheoryData<string> Packages() => new(new[] { "kernel-image", "nic-modules", "fs-modules" }.Select(UdebFixture.Package));

    private static string DpkgDeb(params string[] args) => ExternalTool.Check("dpkg-deb", args).Text;
    private static byte[] DpkgDebBytes(params string[] args) => ExternalTool.Check("dpkg-deb", args).Out;

    [Fact]
    public void Builds_every_udeb_with_the_reference_file_name()
    {
        var names = _built.Ours.Select(b => Path.GetFileName(b.Path)).Order(StringComparer.Ordinal);
        var reference = Directory.GetFiles(_built.ReferenceDir, "*.udeb").Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(reference, names);
        Assert.Equal(3, _built.Ours.Count);
    }

    [Theory]
    [MemberData(nameof(Packages))]
    public void The_whole_udeb_is_byte_identical_to_debhelpers(string package)
    {
        byte[] ours = File.ReadAllBytes(_built.Mine(package)), reference = File.ReadAllBytes(_built.Reference(package));
        int at = ours.AsSpan().CommonPrefixLength(reference);
        Assert.True(at == ours.Length && at == reference.Length,
            $"{package}: the .udeb differs from dh_builddeb's at byte {at} ({ours.Length} vs {reference.Length} bytes)");
    }

    [Theory]
    [MemberData(nameof(Packages))]
    public void Control_file_is_identical_to_dpkg_gencontrols(string package)
    {
        string ours = DpkgDeb("--info", _built.Mine(package), "control");
        string reference = DpkgDeb("--info", _built.Reference(package), "control");
        Assert.Equal(reference, ours);
    }

    [Theory]
    [MemberData(nameof(Packages))]
    public void Data_tar_is_byte_identical_to_dpkg_debs(string package)
    {
        var ours = DpkgDebBytes("--fsys-tarfile", _built.Mine(package));
        var reference = DpkgDebBytes("--fsys-tarfile", _built.Reference(package));
        Assert.True(reference.AsSpan().SequenceEqual(ours), $"{package}: data.tar differs ({ours.Length} vs {reference.Length} bytes)");
    }

    [Theory]
    [MemberData(nameof(Packages))]
    public void Control_tar_is_byte_identical_to_dpkg_debs(string package)
    {
        var ours = DpkgDebBytes("--ctrl-tarfile", _built.Mine(package));
        var reference = DpkgDebBytes("--ctrl-tarfile", _built.Reference(package));
        Assert.True(reference.AsSpan().SequenceEqual(ours), $"{package}: control.tar differs");
    }

    [Theory]
    [MemberData(nameof(Packages))]
    public void Dpkg_deb_contents_and_info_agree(string package)
    {
        Assert.Equal(DpkgDeb("--contents", _built.Reference(package)), DpkgDeb("--contents", _built.Mine(package)));
        Assert.Equal(DpkgDeb("--info", _built.Reference(package)), DpkgDeb("--info", _built.Mine(package)));
        Assert.Equal(DpkgDeb("--field", _built.Reference(package)), DpkgDeb("--field", _built.Mine(package)));
    }

    [Theory]
    [MemberData(nameof(Packages))]
    public void Dpkg_info_reads_it(string package)
    {
        var info = ExternalTool.Check("dpkg", ["-I", _built.Mine(package)]).Text;
        Assert.Contains($" Package: {package}\n", info);
        Assert.Contains(" Section: debian-installer\n", info);
        Assert.Contains($" Architecture: {UdebFixture.Arch}\n", info);
        Assert.Contains($" Kernel-Version: {UdebFixture.KernelVersion}-{UdebFixture.Flavour}\n", info);
        Assert.DoesNotContain("Package-Type", info); // dpkg-gencontrol drops it from udebs
        Assert.Equal(DpkgDeb("-I", _built.Mine(package)), info);
    }

    [Theory]
    [MemberData(nameof(Packages))]
    public void Extracted_tree_equals_the_staged_tree(string package)
    {
        string target = _built.Fixture[$"x-{package}"];
        ExternalTool.Check("dpkg-deb", ["-x", _built.Mine(package), target]);
        string staged = _built.Fixture.PackageDir(package);
        var expected = TreeListing(staged, skipDebian: true);
        var actual = TreeListing(target, skipDebian: false);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Hard_link_symlinks_and_modes_survive_extraction()
    {
        string package = UdebFixture.Package("nic-modules");
        string target = _built.Fixture["x-links"];
        ExternalTool.Check("dpkg-deb", ["-x", _built.Mine(package), target]);
        Assert.Equal("/usr/bin/helper", new FileInfo(Path.Combine(target, "usr/bin/absolute-link")).LinkTarget);
        Assert.Equal("does-not-exist", new FileInfo(Path.Combine(target, "usr/bin/dangling")).LinkTarget);
        Assert.Equal("doc", new FileInfo(Path.Combine(target, "usr/share/dirlink")).LinkTarget);
        var a = FileStatus.Of(Path.Combine(target, "usr/bin/helper"));
        var b = FileStatus.Of(Path.Combine(target, "usr/bin/helper-hardlink"));
        Assert.Equal(a.Inode, b.Inode);
        Assert.Equal(0b111_101_101, a.Mode);
        string mod = $"lib/modules/{UdebFixture.KernelVersion}-{UdebFixture.Flavour}/kernel/drivers/net/ethernet";
        Assert.Equal(0b110_000_000, FileStatus.Of(Path.Combine(target, mod, "a.b")).Mode);
        Assert.True(Directory.Exists(Path.Combine(target, "var/empty")));
    }

    [Theory]
    [MemberData(nameof(Packages))]
    public void Members_are_debian_binary_then_xz_tars_that_pass_xz_t(string package)
    {
        string dir = _built.Fixture[$"ar-{package}"];
        Directory.CreateDirectory(dir);
        Assert.Equal("debian-binary\ncontrol.tar.xz\ndata.tar.xz\n", ExternalTool.Check("ar", ["t", _built.Mine(package)]).Text);
        ExternalTool.Check("ar", ["x", _built.Mine(package)], workingDirectory: dir);
        Assert.Equal("2.0\n", File.ReadAllText(Path.Combine(dir, "debian-binary")));
        ExternalTool.Check("xz", ["-t", Path.Combine(dir, "control.tar.xz"), Path.Combine(dir, "data.tar.xz")]);
    }

    [Fact]
    public void The_payload_is_really_compressed()
    {
        string package = UdebFixture.Package("fs-modules");
        long tar = DpkgDebBytes("--fsys-tarfile", _built.Mine(package)).Length;
        Assert.True(new FileInfo(_built.Mine(package)).Length < tar / 3, "the data archive should compress well");
    }

    [Fact]
    public void Source_tree_is_not_modified() => Assert.Equal(_built.Before, _built.After);

    [Fact]
    public void Nothing_but_the_udebs_is_left_in_the_output_directory() =>
        Assert.Equal(_built.Ours.Select(b => b.Path).Order(StringComparer.Ordinal), Directory.GetFiles(_built.Fixture.Output).Order(StringComparer.Ordinal));

    [Fact]
    public void Installed_size_is_what_dpkg_gencontrol_computes()
    {
        foreach (var b in _built.Ours)
            Assert.Equal(DpkgDeb("--field", _built.Reference(b.Package), "Installed-Size").Trim(), b.Control["Installed-Size"]);
    }

    /// <summary>Type, mode, size, content hash and link target of everything under a directory.</summary>
    private static List<string> TreeListing(string root, bool skipDebian)
    {
        var lines = new List<string>();
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            string rel = Path.GetRelativePath(root, path);
            if (skipDebian && (rel == "DEBIAN" || rel.StartsWith("DEBIAN/", StringComparison.Ordinal))) continue;
            var st = FileStatus.Of(path);
            string detail = st.Kind switch
            {
                FileKind.Symlink => "-> " + new FileInfo(path).LinkTarget,
                FileKind.Regular => st.Size + " " + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))),
                _ => "",
            };
            lines.Add($"{rel} {st.Kind} {Convert.ToString(st.Mode, 8)} {detail}");
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }
}
