using Kpk.Core;

namespace Kpk.Build;

/// <summary>Files kpk ships beside its binary (a build of the checkout) or under /usr/share/kpk (the Debian package).</summary>
public static class KpkInstallation
{
    /// <summary>kpk-patch.h: next to the binary in include/, else /usr/share/kpk.</summary>
    public static string HeaderPath()
    {
        foreach (var candidate in new[] { Path.Combine(AppContext.BaseDirectory, "include", "kpk-patch.h"), "/usr/share/kpk/kpk-patch.h" })
            if (File.Exists(candidate)) return candidate;
        throw new KpkException($"kpk-patch.h is missing from kpk's installation ({Path.Combine(AppContext.BaseDirectory, "include")}, /usr/share/kpk)");
    }

    /// <summary>kpk-patch.h goes into the shadow's include/ (on every include path kbuild passes), so no command line changes.</summary>
    public static void InstallHeader(string shadow)
    {
        byte[] content = File.ReadAllBytes(HeaderPath());
        string target = Path.Combine(shadow, "include", "kpk-patch.h");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (!File.Exists(target) || !File.ReadAllBytes(target).AsSpan().SequenceEqual(content)) File.WriteAllBytes(target, content);
    }
}
