using Kpk.Core;

namespace Kpk.Build;

/// <summary>Files kpk ships beside its binary (a build of the checkout) or under /usr/share/kpk (the Debian package).</summary>
public static class KpkInstallation
{
    /// <summary>The headers a patch may include: kpk's own, and kpatch's name for patches written for kpatch-build.</summary>
    public static readonly IReadOnlyList<string> PatchHeaders = ["kpk-patch.h", "kpatch-macros.h"];

    /// <summary>A header kpk ships: next to the binary in include/, else /usr/share/kpk.</summary>
    public static string HeaderPath(string header = "kpk-patch.h")
    {
        foreach (var candidate in new[] { Path.Combine(AppContext.BaseDirectory, "include", header), "/usr/share/kpk/" + header })
            if (File.Exists(candidate)) return candidate;
        throw new KpkException($"{header} is missing from kpk's installation ({Path.Combine(AppContext.BaseDirectory, "include")}, /usr/share/kpk)");
    }

    /// <summary>kpk-patch.h and kpatch-macros.h go into the shadow's include/ (on every include path kbuild passes), so no command line changes.</summary>
    public static void InstallHeader(string shadow)
    {
        foreach (string header in PatchHeaders)
        {
            byte[] content = File.ReadAllBytes(HeaderPath(header));
            string target = Path.Combine(shadow, "include", header);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (!File.Exists(target) || !File.ReadAllBytes(target).AsSpan().SequenceEqual(content)) File.WriteAllBytes(target, content);
        }
    }
}
