using System.Runtime.InteropServices;

namespace Kpk.Wedge.Deb;

/// <summary>
/// Debian architecture names and the wildcards of Architecture fields and dependency arch lists
/// (<c>any</c>, <c>linux-any</c>, <c>any-amd64</c>). Only the common Linux ports are known by
/// their CPU; an architecture name like <c>hurd-i386</c> is split into OS and CPU.
/// </summary>
public static class DebianArchitecture
{
    /// <summary>DEB_HOST_ARCH if set, otherwise the architecture this process runs on.</summary>
    public static string Host()
    {
        string? fromEnv = Environment.GetEnvironmentVariable("DEB_HOST_ARCH");
        if (!string.IsNullOrWhiteSpace(fromEnv)) return fromEnv.Trim();
        return OfThisCpu();
    }

    /// <summary>The Debian name of the CPU this process runs on (amd64, arm64, ...).</summary>
    public static string OfThisCpu() => RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "amd64",
            Architecture.X86 => "i386",
            Architecture.Arm64 => "arm64",
            Architecture.Arm => "armhf",
            Architecture.S390x => "s390x",
            Architecture.Ppc64le => "ppc64el",
            Architecture.RiscV64 => "riscv64",
            Architecture.LoongArch64 => "loong64",
            var other => other.ToString().ToLowerInvariant(),
        };

    /// <summary>Whether <paramref name="arch"/> is matched by <paramref name="pattern"/> (a name or a wildcard).</summary>
    public static bool Matches(string arch, string pattern)
    {
        if (pattern == arch || pattern == "any") return true;
        var (os, cpu) = Split(arch);
        int dash = pattern.IndexOf('-');
        if (dash < 0) return false;
        string pOs = pattern[..dash], pCpu = pattern[(dash + 1)..];
        return (pOs == "any" || pOs == os) && (pCpu == "any" || pCpu == cpu);
    }

    /// <summary>
    /// Evaluates an arch restriction list ("amd64 i386" or "!amd64 !i386"): true when the
    /// architecture is listed (positive list) or not excluded (negated list).
    /// </summary>
    public static bool IsConcerned(string arch, IReadOnlyList<string> list)
    {
        if (list.Count == 0) return true;
        bool negated = list[0].StartsWith('!');
        bool hit = list.Any(a => Matches(arch, a.TrimStart('!')));
        return negated ? !hit : hit;
    }

    private static (string Os, string Cpu) Split(string arch)
    {
        int dash = arch.IndexOf('-');
        if (dash > 0) return (arch[..dash], arch[(dash + 1)..]);
        string cpu = arch switch
        {
            "armel" or "armhf" => "arm",
            "powerpcspe" => "powerpc",
            "x32" => "amd64",
            "arm64ilp32" => "arm64",
            _ => arch,
        };
        return ("linux", cpu);
    }
}
