using System.Runtime.InteropServices;

namespace Kpk.Wedge;

/// <summary>
/// Everything kernel-wedge reads from its environment, captured once so the commands below never
/// touch process-wide state: the configuration directories, where the kernel tree is, how fatal
/// a missing module is, the host architecture, and the directory relative paths start from.
/// </summary>
public sealed record WedgeEnvironment
{
    /// <summary>KW_DEFCONFIG_DIR: the default configuration (package-list, shared module lists); null when unset.</summary>
    public string? DefConfigDir { get; init; }

    /// <summary>KW_CONFIG_DIR, or "." when it is unset or false in perl's sense (empty or "0"), as kernel-wedge treats it.</summary>
    public string ConfigDir { get; init; } = ".";

    /// <summary>SOURCEDIR: where the kernel's files are unpacked; null when unset (which differs from set-but-empty).</summary>
    public string? SourceDir { get; init; }

    /// <summary>KW_CHECK_NONFATAL as given; each command tests it the way the reference does.</summary>
    public string? CheckNonFatal { get; init; }

    /// <summary>DEB_HOST_ARCH, or the machine's Debian architecture.</summary>
    public string HostArch { get; init; } = "amd64";

    /// <summary>DEB_HOST_ARCH_OS, or the machine's (always linux for kpk's hosts).</summary>
    public string HostOs { get; init; } = "linux";

    /// <summary>DEPMOD: the depmod command copy-modules runs for a SOURCEDIR tree; null means "depmod".</summary>
    public string? Depmod { get; init; }

    /// <summary>PATH, to find depmod the way a shell would.</summary>
    public string? SearchPath { get; init; }

    /// <summary>DEB_BUILD_PROFILES, which decides the Build-Profiles of debian/control.</summary>
    public string? BuildProfiles { get; init; }

    /// <summary>The directory "debian/", "./kernel-versions" and other relative paths are taken from.</summary>
    public string WorkingDirectory { get; init; } = ".";

    public bool IsLinux => HostOs == "linux";

    /// <summary>KW_CHECK_NONFATAL as preprocess reads it: perl truth, so "0" counts as unset.</summary>
    public bool NonFatalPerl => PerlTruth.IsTrue(CheckNonFatal);

    /// <summary>KW_CHECK_NONFATAL as find-dups and check read it: any non-empty value.</summary>
    public bool NonFatalNonEmpty => !string.IsNullOrEmpty(CheckNonFatal);

    /// <summary>An absolute path for a path as the user wrote it (relative ones start at <see cref="WorkingDirectory"/>).</summary>
    public string Resolve(string path) => Path.GetFullPath(path, Path.GetFullPath(WorkingDirectory));

    /// <summary>The default configuration directory, which package lists and &lt;includes&gt; need.</summary>
    public string RequireDefConfigDir() => DefConfigDir
        ?? throw new Kpk.Core.KpkException("Required environment variable $KW_DEFCONFIG_DIR is not defined", WedgeExit.Died);

    /// <summary>Reads the variables kernel-wedge reads, through <paramref name="variable"/> (the process environment in the CLI).</summary>
    public static WedgeEnvironment From(Func<string, string?> variable, string workingDirectory) => new()
    {
        DefConfigDir = variable("KW_DEFCONFIG_DIR"),
        ConfigDir = PerlTruth.IsTrue(variable("KW_CONFIG_DIR")) ? variable("KW_CONFIG_DIR")! : ".",
        SourceDir = variable("SOURCEDIR"),
        CheckNonFatal = variable("KW_CHECK_NONFATAL"),
        HostArch = variable("DEB_HOST_ARCH") ?? NativeArchitecture(),
        HostOs = variable("DEB_HOST_ARCH_OS") ?? "linux",
        Depmod = variable("DEPMOD"),
        SearchPath = variable("PATH"),
        BuildProfiles = variable("DEB_BUILD_PROFILES"),
        WorkingDirectory = workingDirectory,
    };

    /// <summary>
    /// The Debian name of the machine's architecture, as dpkg-architecture answers without DEB_HOST_ARCH.
    /// dpkg itself knows best (armel and armhf share a CPU), so it is asked when present.
    /// </summary>
    public static string NativeArchitecture()
    {
        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo("dpkg", "--print-architecture")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            using var p = System.Diagnostics.Process.Start(psi);
            if (p != null)
            {
                string answer = p.StandardOutput.ReadToEnd().Trim();
                p.WaitForExit();
                if (p.ExitCode == 0 && answer.Length > 0) return answer;
            }
        }
        catch (System.ComponentModel.Win32Exception) { /* no dpkg: fall back on the CPU */ }
        return DebianArchitecture.OfThisCpu();
    }
}

/// <summary>Perl's idea of a true string: defined, non-empty and not "0".</summary>
public static class PerlTruth
{
    public static bool IsTrue(string? value) => !string.IsNullOrEmpty(value) && value != "0";
}

/// <summary>
/// The exit codes kernel-wedge's perl commands end with. Perl's die exits with the last errno, so
/// the same kind of failure exits the same way every time: a file that cannot be opened gives its
/// errno, and a complaint about a file already read gives ENOTTY (left behind by perl's open).
/// </summary>
public static class WedgeExit
{
    public const int Ok = 0;
    public const int Failed = 1;
    /// <summary>ENOENT: a file kernel-wedge must read is missing.</summary>
    public const int NoSuchFile = 2;
    /// <summary>ENOTTY: bad content in a file that was read.</summary>
    public const int BadContent = 25;
    /// <summary>die with no errno set.</summary>
    public const int Died = 255;

    /// <summary>The errno-based exit code of a failure to open or read <paramref name="e"/>'s file.</summary>
    public static int For(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => NoSuchFile,
        UnauthorizedAccessException => 13, // EACCES
        _ => 5, // EIO
    };

    /// <summary>The short text strerror gives for <paramref name="e"/>, as in "kernel-versions: No such file or directory".</summary>
    public static string Reason(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        UnauthorizedAccessException => "Permission denied",
        _ => e.Message,
    };
}
