namespace Kpk.Wedge;

/// <summary>Where a configuration directory keeps things, and the file tests the reference makes.</summary>
public static class ConfigLayout
{
    /// <summary>
    /// The directory of module lists for one kernel: modules/ARCH-FLAVOUR if it exists, else
    /// modules/FLAVOUR, else modules/ARCH (which need not exist). The path is as the user would write it.
    /// </summary>
    public static string ModuleListDir(WedgeEnvironment env, string configDir, string arch, string flavour)
    {
        string archFlavour = $"{configDir}/modules/{arch}-{flavour}";
        if (Directory.Exists(env.Resolve(archFlavour))) return archFlavour;
        string flavourOnly = $"{configDir}/modules/{flavour}";
        if (Directory.Exists(env.Resolve(flavourOnly))) return flavourOnly;
        return $"{configDir}/modules/{arch}";
    }

    /// <summary>The shell's and perl's -e: anything there, following symlinks (a dangling link is not there).</summary>
    public static bool Exists(string fullPath) => File.Exists(fullPath) || Directory.Exists(fullPath);
}
