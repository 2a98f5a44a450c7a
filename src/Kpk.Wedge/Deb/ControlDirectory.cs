using Kpk.Core;

namespace Kpk.Wedge.Deb;

/// <summary>
/// A staged package's DEBIAN/ directory: the control archive's members but the control file,
/// which builders make anew. Only regular files; maintainer scripts must be executable within
/// dpkg-deb's bounds (at least 0555, at most 0775).
/// </summary>
public static class ControlDirectory
{
    public const string Name = "DEBIAN";
    private static readonly HashSet<string> MaintainerScripts = ["preinst", "postinst", "prerm", "postrm", "config", "menutest", "isinstallable"];

    public static bool IsMaintainerScript(string name) => MaintainerScripts.Contains(name);

    /// <summary>Every member of <paramref name="controlDir"/> except "control", sorted by name; none when it does not exist.</summary>
    public static List<ControlMember> Read(string controlDir)
    {
        var members = new List<ControlMember>();
        if (!Directory.Exists(controlDir)) return members;
        foreach (var path in Directory.EnumerateFileSystemEntries(controlDir))
        {
            string name = Path.GetFileName(path);
            if (name == "control") continue;
            var st = FileStatus.Of(path);
            if (st.Kind != FileKind.Regular) throw new KpkException($"{path}: is {FileStatus.Describe(st.Kind)}; the control directory may only hold regular files");
            if (IsMaintainerScript(name) && ((st.Mode & 0x16D) != 0x16D || (st.Mode & ~0x1FD) != 0))
                throw new KpkException($"{path}: maintainer script has bad permissions {Convert.ToString(st.Mode, 8)} (must be >=0555 and <=0775)");
            members.Add(new ControlMember(name, st.Mode, ReadFile(path)));
        }
        return members.OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
    }

    public static byte[] ReadFile(string path)
    {
        try { return File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{path}: cannot read: {IoError.Reason(e)}");
        }
    }
}
