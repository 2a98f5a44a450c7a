namespace Kpk.Build;

/// <summary>
/// Where kpk's own data files (kpk-patch.h) are, in both of its layouts: beside the binary in
/// include/ (a checkout's build, .build/kpk/include/) or, installed as a package with the binary
/// in PREFIX/bin, in PREFIX/share/kpk/ (/usr/share/kpk/ for /usr/bin/kpk).
/// </summary>
public static class KpkDataFiles
{
    public static string Find(string name) => Find(name, AppContext.BaseDirectory);

    /// <summary>The file in the first layout that has it; else where this layout should have it, for the error message.</summary>
    public static string Find(string name, string binaryDirectory)
    {
        string beside = Path.Combine(binaryDirectory, "include", name);
        string dir = Path.TrimEndingDirectorySeparator(binaryDirectory);
        string shared = Path.Combine(Path.GetDirectoryName(dir) ?? "/", "share", "kpk", name);
        if (File.Exists(beside)) return beside;
        if (File.Exists(shared)) return shared;
        return Path.GetFileName(dir) == "bin" ? shared : beside;
    }
}
