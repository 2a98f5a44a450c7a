using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Kpk.Core;

namespace Kpk.Wedge.Deb;

/// <summary>One .deb written.</summary>
public sealed record BuiltPackage(string Package, string Version, string Architecture, string Path, long Size);

/// <summary>
/// Builds a binary package (.deb) from a staged tree the way <c>dpkg-deb --build DIR</c> takes it
/// (DIR/DEBIAN/control, maintainer scripts and conffiles; the payload beside DEBIAN/), adding what
/// dh_md5sums and dh_gencontrol would: the md5sums member (every regular file but the conffiles)
/// and, when the control file has none, Installed-Size. The archive itself is the udeb's
/// (<see cref="DebArchive"/>); every input is checked before the file is written, and the .deb is
/// written whole or not at all.
/// </summary>
public static partial class BinaryPackageBuilder
{
    private static readonly string[] RequiredFields = ["Package", "Version", "Architecture", "Maintainer", "Description"];

    [GeneratedRegex("^[a-z0-9][a-z0-9+.-]+$")]
    private static partial Regex PackageName();

    /// <param name="mtime">The time stamped on every member; else SOURCE_DATE_EPOCH, else now.</param>
    public static BuiltPackage Build(string stagedDir, string outputDir, long? mtime = null, bool compress = true)
    {
        string controlDir = Path.Combine(stagedDir, ControlDirectory.Name);
        string controlFile = Path.Combine(controlDir, "control");
        if (!File.Exists(controlFile)) throw new KpkException($"{controlFile}: no control file (stage the package as dpkg-deb --build takes it)");
        if (!Directory.Exists(outputDir)) throw new KpkException($"{outputDir}: output directory does not exist");
        var paragraphs = ControlParagraph.ParseAll(Encoding.UTF8.GetString(ControlDirectory.ReadFile(controlFile)), controlFile);
        if (paragraphs.Count != 1) throw new KpkException($"{controlFile}: a binary package's control file holds one paragraph, not {paragraphs.Count}");
        var control = paragraphs[0];
        foreach (string field in RequiredFields)
            if (string.IsNullOrWhiteSpace(control[field])) throw new KpkException($"{controlFile}: field {field} is missing or empty");
        string package = control["Package"]!;
        if (!PackageName().IsMatch(package))
            throw new KpkException($"{controlFile}:{control.Find("Package")!.Line}: package name '{package}' may only hold a-z, 0-9, '+', '-' and '.' (at least two, starting alphanumeric)");
        if (!DebianVersion.TryParse(control["Version"]!, out var version, out string? error))
            throw new KpkException($"{controlFile}:{control.Find("Version")!.Line}: version '{control["Version"]}': {error}");
        string arch = control["Architecture"]!;

        var tree = PackageTree.Scan(stagedDir);
        tree.CheckReadable();
        var members = ControlDirectory.Read(controlDir).Where(m => m.Name != "md5sums").ToList();
        var conffiles = Conffiles(members, tree, controlDir);
        members.Add(new ControlMember("md5sums", 0b110_100_100, Md5Sums(tree, conffiles)));
        long installedSize = tree.InstalledSize + 1 + members.Sum(m => PackageTree.KiB(m.Content.Length));
        members.Add(new ControlMember("control", 0b110_100_100, Encoding.UTF8.GetBytes(ControlText(control, installedSize))));

        long stamp = mtime ?? UdebBuilder.EpochFromEnvironment() ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string file = Path.Combine(outputDir, $"{package}_{version!.WithoutEpoch}_{arch}.deb");
        var ordered = members.OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
        AtomicFile.Write(file, s => DebArchive.Write(s, ordered, tree, stamp, compress ? XzWriter.DebPreset : XzWriter.FastestPreset));
        return new BuiltPackage(package, version.Text, arch, file, new FileInfo(file).Length);
    }

    /// <summary>The control file as given, with Installed-Size after Maintainer when it has none (dpkg-gencontrol's place).</summary>
    private static string ControlText(ControlParagraph control, long installedSize)
    {
        var text = new StringBuilder();
        bool hasSize = control.Has("Installed-Size");
        foreach (var f in control.Fields)
        {
            text.Append(ControlParagraph.FormatField(f.Name, f.Value));
            if (!hasSize && string.Equals(f.Name, "Maintainer", StringComparison.OrdinalIgnoreCase))
                text.Append(ControlParagraph.FormatField("Installed-Size", installedSize.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        return text.ToString();
    }

    /// <summary>DEBIAN/conffiles' absolute paths; each must be a regular file of the payload.</summary>
    private static HashSet<string> Conffiles(List<ControlMember> members, PackageTree tree, string controlDir)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        var member = members.FirstOrDefault(m => m.Name == "conffiles");
        if (member == null) return result;
        var regular = tree.Entries.Where(e => e.Kind == FileKind.Regular).Select(e => e.ArchiveName[1..]).ToHashSet(StringComparer.Ordinal);
        int line = 0;
        foreach (string raw in Encoding.UTF8.GetString(member.Content).Split('\n'))
        {
            line++;
            string path = raw.Trim();
            if (path.Length == 0) continue;
            if (!path.StartsWith('/')) throw new KpkException($"{controlDir}/conffiles:{line}: {path} is not an absolute path");
            if (!regular.Contains(path)) throw new KpkException($"{controlDir}/conffiles:{line}: {path} is not a regular file of the package");
            result.Add(path);
        }
        return result;
    }

    /// <summary>"MD5  path" for every regular file (hard links too), sorted by path, without the leading "./".</summary>
    private static byte[] Md5Sums(PackageTree tree, HashSet<string> conffiles)
    {
        var lines = new List<string>();
        foreach (var e in tree.Entries.Where(e => e.Kind == FileKind.Regular))
        {
            if (conffiles.Contains(e.ArchiveName[1..])) continue;
            byte[] hash;
            try
            {
                using var stream = File.OpenRead(e.Path);
                hash = MD5.HashData(stream);
            }
            catch (Exception x) when (x is IOException or UnauthorizedAccessException)
            {
                throw new KpkException($"{e.Path}: cannot read: {IoError.Reason(x)}");
            }
            lines.Add($"{Convert.ToHexStringLower(hash)}  {e.ArchiveName[2..]}\n");
        }
        lines.Sort((a, b) => string.CompareOrdinal(a[34..], b[34..]));
        return Encoding.UTF8.GetBytes(string.Concat(lines));
    }
}
