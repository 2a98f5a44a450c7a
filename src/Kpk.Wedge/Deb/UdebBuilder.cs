using System.Globalization;
using System.Text;
using Kpk.Core;

namespace Kpk.Wedge.Deb;

public sealed record UdebBuildOptions
{
    /// <summary>The debian/ directory: control, changelog and the staged trees debian/PACKAGE/.</summary>
    public string DebianDirectory { get; init; } = "debian";
    /// <summary>Where the .udeb files go; by default the parent of the source tree, like dh_builddeb.</summary>
    public string? OutputDirectory { get; init; }
    /// <summary>Only these packages; all udebs built on the host architecture when empty.</summary>
    public IReadOnlyList<string> Packages { get; init; } = [];
    /// <summary>The binary version, instead of the changelog's (dpkg-gencontrol -v).</summary>
    public string? Version { get; init; }
    /// <summary>Instead of DEB_HOST_ARCH or the running machine's architecture.</summary>
    public string? HostArch { get; init; }
    /// <summary>The time stamped on every archive member; else SOURCE_DATE_EPOCH, else the changelog's date.</summary>
    public long? SourceDateEpoch { get; init; }
    /// <summary>Instead of DEB_BUILD_PROFILES.</summary>
    public IReadOnlyCollection<string>? BuildProfiles { get; init; }
    /// <summary>False compresses with xz's fastest level instead of dh_builddeb's -6 -e for udebs (faster, larger).</summary>
    public bool Compress { get; init; } = true;
}

/// <summary>One .udeb written.</summary>
public sealed record BuiltUdeb(string Package, string Path, GeneratedControl Control, long Size);

/// <summary>
/// Builds .udeb files from a debian/ directory as kernel-wedge and debhelper leave it
/// (debian/control with the udeb paragraphs, debian/changelog, staged trees debian/PACKAGE/,
/// postinst scripts), doing what dh_installdeb, dh_gencontrol and dh_builddeb do for a udeb —
/// without dpkg. Every input is checked before the first file is written; each .udeb is
/// written whole or not at all.
/// </summary>
public static class UdebBuilder
{
    /// <summary>The scripts dh_installdeb installs for a udeb (no #DEBHELPER# expansion).</summary>
    private static readonly string[] UdebScripts = ["postinst", "menutest", "isinstallable"];

    public static IReadOnlyList<BuiltUdeb> Build(UdebBuildOptions options, IReporter reporter)
    {
        string debian = options.DebianDirectory;
        if (!Directory.Exists(debian)) throw new KpkException($"{debian}: directory does not exist");
        var control = DebianControl.Load(Path.Combine(debian, "control"));
        var changelog = DebianChangelog.Load(Path.Combine(debian, "changelog"));
        string host = options.HostArch ?? DebianArchitecture.Host();
        var profiles = options.BuildProfiles
            ?? (Environment.GetEnvironmentVariable("DEB_BUILD_PROFILES") ?? "").Split((char[])[' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries);
        long mtime = options.SourceDateEpoch ?? EpochFromEnvironment() ?? changelog.Timestamp ?? 0;
        string output = options.OutputDirectory
            ?? Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(debian).TrimEnd('/'))!) ?? "..";
        if (!Directory.Exists(output)) throw new KpkException($"{output}: output directory does not exist");

        var packages = Select(control, options.Packages, host);
        foreach (var p in packages)
        {
            string dir = Path.Combine(debian, p["Package"]!);
            if (!Directory.Exists(dir))
                throw new KpkException($"{dir}: package build directory does not exist (stage the package's files there first)");
        }

        // Everything that can fail on bad input is checked for all packages before any is written.
        var plans = new List<(string Name, PackageTree Tree, List<ControlMember> Members, GeneratedControl Control)>();
        foreach (var p in packages)
        {
            string name = p["Package"]!;
            var tree = PackageTree.Scan(Path.Combine(debian, name));
            tree.CheckReadable();
            var scripts = ControlScripts(debian, name);
            var substvars = new Substvars();
            string substvarsFile = Path.Combine(debian, name + ".substvars");
            // dh_gencontrol makes sure these two exist, so using them never warns.
            substvars["misc:Depends"] = "";
            substvars["misc:Pre-Depends"] = "";
            if (File.Exists(substvarsFile)) substvars.LoadFile(substvarsFile);
            // As dpkg-gencontrol measures it under dh: the tree, the DEBIAN/ directory and the
            // scripts already installed in it (the control file is written after measuring).
            long installedSize = tree.InstalledSize + 1 + scripts.Sum(s => PackageTree.KiB(s.Content.Length));
            var generated = UdebControlGenerator.Generate(control, p,
                new ControlInputs(changelog, host, profiles, substvars, installedSize, options.Version));
            foreach (var w in generated.Warnings) reporter.Warning(w);
            var members = scripts.Append(new ControlMember("control", 0b110_100_100, Encoding.UTF8.GetBytes(generated.Text))).ToList();
            plans.Add((name, tree, members, generated));
        }

        var built = new List<BuiltUdeb>();
        foreach (var (name, tree, members, generated) in plans)
        {
            string file = Path.Combine(output, $"{name}_{generated.Version.WithoutEpoch}_{generated.Architecture}.udeb");
            reporter.Detail($"building {file}");
            AtomicFile.Write(file, s => DebArchive.Write(s, members, tree, mtime, options.Compress ? XzWriter.UdebPreset : XzWriter.FastestPreset));
            long size = new FileInfo(file).Length;
            built.Add(new BuiltUdeb(name, file, generated, size));
        }
        return built;
    }

    /// <summary>The named packages (each must be a udeb in debian/control), or every udeb built on the host.</summary>
    public static IReadOnlyList<ControlParagraph> Select(DebianControl control, IReadOnlyList<string> names, string host)
    {
        if (names.Count > 0)
        {
            var chosen = new List<ControlParagraph>();
            foreach (var n in names.Distinct())
            {
                var p = control.Find(n) ?? throw new KpkException($"{control.Path}: package {n} is not in the control file");
                if (!DebianControl.IsUdeb(p)) throw new KpkException($"{control.Path}:{p.Line}: package {n} is not a udeb (no Package-Type: udeb)");
                UdebControlGenerator.ResolveArchitecture(n, p["Architecture"]!, host);
                chosen.Add(p);
            }
            return chosen;
        }
        var all = control.Packages.Where(p => DebianControl.IsUdeb(p) && UdebControlGenerator.BuildsOn(p["Architecture"]!, host)).ToList();
        if (all.Count == 0) throw new KpkException($"{control.Path}: no udeb packages to build for architecture {host}");
        return all;
    }

    /// <summary>
    /// The control archive's scripts: files already in debian/PACKAGE/DEBIAN/ (but its control,
    /// which is made anew), overridden by debian/PACKAGE.postinst, .menutest and .isinstallable
    /// installed executable, as dh_installdeb does for udebs.
    /// </summary>
    private static List<ControlMember> ControlScripts(string debian, string package)
    {
        var members = ControlDirectory.Read(Path.Combine(debian, package, ControlDirectory.Name)).ToDictionary(m => m.Name, StringComparer.Ordinal);
        foreach (var script in UdebScripts)
        {
            string path = Path.Combine(debian, $"{package}.{script}");
            if (File.Exists(path)) members[script] = new ControlMember(script, 0b111_101_101, ControlDirectory.ReadFile(path));
        }
        return members.Values.OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
    }

    internal static long? EpochFromEnvironment()
    {
        string? s = Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
        if (string.IsNullOrWhiteSpace(s)) return null;
        if (!long.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long v))
            throw new KpkException($"SOURCE_DATE_EPOCH is not a number of seconds: '{s}'");
        return v;
    }
}
