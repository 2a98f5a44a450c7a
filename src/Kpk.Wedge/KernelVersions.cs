using Kpk.Core;

namespace Kpk.Wedge;

/// <summary>
/// One line of kernel-versions: "arch version flavour installedname suffix build-depends", with
/// "-" meaning "the default" in every column but arch and flavour. Trailing columns may be
/// missing (null); the last column keeps the rest of the line, spaces included.
/// </summary>
public sealed record KernelVersion(
    string Arch, string Version, string Flavour, string? InstalledName, string? Suffix, string? BuildDepends,
    string File, int Line, string Text)
{
    /// <summary>Where the line is, for messages: "path:line".</summary>
    public string Where => $"{File}:{Line}";
}

/// <summary>Reads the kernel-versions file of a configuration directory.</summary>
public static class KernelVersions
{
    public const string FileName = "kernel-versions";

    /// <summary>
    /// The lines that name a kernel (comments and empty lines skipped). Every line needs arch,
    /// version and flavour; install-files asks for more with <see cref="RequireAllColumns"/>.
    /// </summary>
    public static IReadOnlyList<KernelVersion> Read(WedgeEnvironment env)
    {
        string shown = $"{env.ConfigDir}/{FileName}";
        var lines = PerlText.ReadRequired(env.Resolve(shown), shown);
        var versions = new List<KernelVersion>();
        for (int n = 0; n < lines.Count; n++)
        {
            string line = lines[n];
            if (line.Length == 0 || line[0] == '#') continue;
            var f = PerlText.SplitFields(line, 6);
            string? At(int i) => i < f.Count ? f[i] : null;
            if (string.IsNullOrEmpty(At(0)) || string.IsNullOrEmpty(At(1)) || string.IsNullOrEmpty(At(2)))
                throw new KpkException($"{shown}:{n + 1}: parse error: a line needs at least arch, version and flavour: \"{line}\"", WedgeExit.BadContent);
            versions.Add(new KernelVersion(f[0], f[1], f[2], At(3), At(4), At(5), shown, n + 1, line));
        }
        return versions;
    }

    /// <summary>install-files needs all six columns but the suffix (which the build-depends column implies anyway).</summary>
    public static void RequireAllColumns(KernelVersion v)
    {
        if (string.IsNullOrEmpty(v.InstalledName) || string.IsNullOrEmpty(v.BuildDepends))
            throw new KpkException($"{v.Where}: parse error: a line needs six columns (arch version flavour installedname suffix build-depends): \"{v.Text}\"", WedgeExit.BadContent);
    }

    /// <summary>
    /// The kernel version of a line: the one given on the command line wins, "-" in the file needs one.
    /// <paramref name="exitCode"/> differs between gen-control and install-files in the reference.
    /// </summary>
    public static string EffectiveVersion(KernelVersion v, string? fixedVersion, int exitCode)
    {
        if (fixedVersion != null) return fixedVersion;
        if (v.Version == "-")
            throw new KpkException($"{v.Where}: kernel version not set in file or on command line", exitCode);
        return v.Version;
    }
}
