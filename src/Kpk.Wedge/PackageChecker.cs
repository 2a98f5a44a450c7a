using Kpk.Core;

namespace Kpk.Wedge;

/// <summary><c>check</c>: packages that would be empty (no regular file under debian/PACKAGE).</summary>
public static class PackageChecker
{
    /// <summary>
    /// The packages to check: those named, else the architecture-specific packages of
    /// debian/control built for the host (dh_listpackages -s).
    /// </summary>
    public static IReadOnlyList<string> Packages(WedgeEnvironment env, IReadOnlyList<string> named)
    {
        if (named.Count > 0) return named;
        try
        {
            return DebianControl.Read(env).BuiltFor(env.HostArch, env.BuildProfiles, archSpecificOnly: true);
        }
        catch (KpkException e)
        {
            // The reference fails as dh_listpackages fails.
            throw new KpkException(e.Message, WedgeExit.BadContent, e);
        }
    }

    public static IReadOnlyList<string> Empty(WedgeEnvironment env, IReadOnlyList<string> packages) =>
        packages.Where(p => !HasFile(env.Resolve($"debian/{p}"))).ToList();

    private static bool HasFile(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget != null) return false; // find does not follow a symlinked start point
        if (info.Exists) return true;
        return Directory.Exists(path) && PackageDirs.RegularFiles(path).Any();
    }

    /// <summary>"PACKAGE will be empty" for each, and exit 1 for any unless KW_CHECK_NONFATAL is set.</summary>
    public static int Report(WedgeEnvironment env, IReadOnlyList<string> empty, TextWriter err)
    {
        foreach (var p in empty) err.Write($"{p} will be empty\n");
        return empty.Count > 0 && !env.NonFatalNonEmpty ? WedgeExit.Failed : WedgeExit.Ok;
    }
}
