using System.Runtime.InteropServices;

namespace Kpk.Wedge;

/// <summary>
/// Debian architecture names and the wildcards of Architecture fields and dependency arch lists,
/// matched by dpkg's rules (Dpkg::Arch's debarch_is, what <c>dpkg-architecture -i</c> answers): a
/// name stands for a tuple abi-libc-os-cpu from dpkg's tupletable (amd64 = base-gnu-linux-amd64,
/// musl-linux-amd64 = base-musl-linux-amd64, armhf = eabihf-gnu-linux-arm), and a wildcard with
/// "any" in it is such a tuple padded on the left with "any" (linux-any = any-any-linux-any,
/// gnu-linux-any = any-gnu-linux-any). The one matcher of kpk wedge: gen-control and udeb building
/// both ask it.
/// </summary>
public static class DebianArchitecture
{
    // dpkg 1.21's cputable (the CPU names) and tupletable (tuple, name; "<cpu>" stands for each CPU).
    private static readonly string[] Cpus =
    [
        "alpha", "amd64", "arc", "armeb", "arm", "arm64", "avr32", "hppa", "loong64", "i386", "ia64", "m32r", "m68k",
        "mips", "mipsel", "mipsr6", "mipsr6el", "mips64", "mips64el", "mips64r6", "mips64r6el", "nios2", "or1k",
        "powerpc", "powerpcel", "ppc64", "ppc64el", "riscv64", "s390", "s390x", "sh3", "sh3eb", "sh4", "sh4eb",
        "sparc", "sparc64", "tilegx",
    ];

    private static readonly (string Tuple, string Name)[] TupleTable =
    [
        ("eabi-uclibc-linux-arm", "uclibc-linux-armel"), ("base-uclibc-linux-<cpu>", "uclibc-linux-<cpu>"),
        ("eabihf-musl-linux-arm", "musl-linux-armhf"), ("base-musl-linux-<cpu>", "musl-linux-<cpu>"),
        ("ilp32-gnu-linux-arm64", "arm64ilp32"), ("eabihf-gnu-linux-arm", "armhf"), ("eabi-gnu-linux-arm", "armel"),
        ("abin32-gnu-linux-mips64r6el", "mipsn32r6el"), ("abin32-gnu-linux-mips64r6", "mipsn32r6"),
        ("abin32-gnu-linux-mips64el", "mipsn32el"), ("abin32-gnu-linux-mips64", "mipsn32"),
        ("abi64-gnu-linux-mips64r6el", "mips64r6el"), ("abi64-gnu-linux-mips64r6", "mips64r6"),
        ("abi64-gnu-linux-mips64el", "mips64el"), ("abi64-gnu-linux-mips64", "mips64"),
        ("spe-gnu-linux-powerpc", "powerpcspe"), ("x32-gnu-linux-amd64", "x32"), ("base-gnu-linux-<cpu>", "<cpu>"),
        ("eabihf-gnu-kfreebsd-arm", "kfreebsd-armhf"), ("base-gnu-kfreebsd-<cpu>", "kfreebsd-<cpu>"),
        ("base-gnu-knetbsd-<cpu>", "knetbsd-<cpu>"), ("base-gnu-kopensolaris-<cpu>", "kopensolaris-<cpu>"),
        ("base-gnu-hurd-<cpu>", "hurd-<cpu>"), ("base-bsd-dragonflybsd-<cpu>", "dragonflybsd-<cpu>"),
        ("base-bsd-freebsd-<cpu>", "freebsd-<cpu>"), ("base-bsd-openbsd-<cpu>", "openbsd-<cpu>"),
        ("base-bsd-netbsd-<cpu>", "netbsd-<cpu>"), ("base-bsd-darwin-<cpu>", "darwin-<cpu>"),
        ("base-sysv-aix-<cpu>", "aix-<cpu>"), ("base-sysv-solaris-<cpu>", "solaris-<cpu>"),
        ("eabi-uclibc-uclinux-arm", "uclinux-armel"), ("base-uclibc-uclinux-<cpu>", "uclinux-<cpu>"),
        ("base-tos-mint-m68k", "mint-m68k"),
    ];

    /// <summary>Name to tuple, expanded as dpkg's read_tupletable does: the first line to claim a name or a tuple keeps it.</summary>
    private static readonly Dictionary<string, string[]> Tuples = Expand();

    private static Dictionary<string, string[]> Expand()
    {
        var byName = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (tuple, name) in TupleTable)
        {
            if (!tuple.Contains("<cpu>"))
            {
                byName[name] = tuple.Split('-', 4);
                taken.Add(tuple);
                continue;
            }
            foreach (string cpu in Cpus)
            {
                string t = tuple.Replace("<cpu>", cpu), n = name.Replace("<cpu>", cpu);
                if (byName.ContainsKey(n) || !taken.Add(t)) continue;
                byName[n] = t.Split('-', 4);
            }
        }
        return byName;
    }

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

    /// <summary>The tuple (abi, libc, os, cpu) of an architecture name, or null for a name dpkg does not know.</summary>
    public static IReadOnlyList<string>? Tuple(string arch)
    {
        // dpkg still reads the old "linux-CPU" spelling as CPU.
        if (arch.StartsWith("linux-", StringComparison.Ordinal)) arch = arch["linux-".Length..].Split('-')[0];
        return Tuples.GetValueOrDefault(arch);
    }

    /// <summary>Whether <paramref name="arch"/> is matched by <paramref name="pattern"/> (a name or a wildcard): dpkg's debarch_is.</summary>
    public static bool Matches(string arch, string pattern)
    {
        if (pattern == arch || pattern == "any") return true;
        var real = Tuple(arch);
        var wild = WildcardTuple(pattern);
        if (real == null || wild == null) return false;
        for (int i = 0; i < 4; i++)
            if (wild[i] != "any" && wild[i] != real[i]) return false;
        return true;
    }

    /// <summary>dpkg's debwildcard_to_debtuple: with "any" in it, padded on the left to four parts; else the name's own tuple.</summary>
    private static IReadOnlyList<string>? WildcardTuple(string pattern)
    {
        string[] parts = pattern.Split('-', 4);
        if (!parts.Contains("any")) return Tuple(pattern);
        return parts.Length switch
        {
            4 => parts,
            3 => ["any", .. parts],
            2 => ["any", "any", .. parts],
            _ => ["any", "any", "any", "any"],
        };
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
}
