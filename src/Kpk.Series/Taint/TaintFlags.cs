namespace Kpk.Series.Taint;

/// <summary>Which SUSE support bits a kernel has, if any.</summary>
public enum SuseTaintLayout
{
    /// <summary>An upstream kernel: no support bits.</summary>
    None,
    /// <summary>
    /// SUSE kernels since Linux 5.3: an externally supported module sets upstream's auxiliary bit 16
    /// (<c>X</c>), an unsupported one sets bit 31 (<c>N</c>).
    /// </summary>
    Current,
    /// <summary>SUSE kernels from 2.6.25 to before Linux 5.3: bit 30 (<c>N</c>) for an unsupported module, bit 31 (<c>X</c>) for an externally supported one.</summary>
    Legacy,
    /// <summary>
    /// SUSE's 2.6 kernels before 2.6.25 (SLES 9 and 10), as its kernel-source README describes them:
    /// bit 4 (<c>U</c>) unsupported, bit 5 (<c>X</c>) externally supported, the machine check moved to
    /// bit 10, and a four-letter Oops code (<c>G</c>/<c>P</c>, <c>F</c>, <c>S</c>, <c>U</c>/<c>X</c>).
    /// The support patch's changelog says 2.6.25 "bumped the flags up" to the legacy bits.
    /// </summary>
    Early,
}

/// <summary>Which layout a SUSE kernel release has, by its version.</summary>
public static class SuseTaintLayoutOf
{
    public static SuseTaintLayout Release(string release)
    {
        var m = System.Text.RegularExpressions.Regex.Match(release, @"^(\d+)\.(\d+)(?:\.(\d+))?");
        if (!m.Success) throw new Core.KpkException($"kernel release '{release}' does not start with a version (MAJOR.MINOR[.PATCH])");
        var version = new Version(int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value), m.Groups[3].Success ? int.Parse(m.Groups[3].Value) : 0);
        return version < new Version(2, 6, 25) ? SuseTaintLayout.Early
            : version < new Version(5, 3) ? SuseTaintLayout.Legacy
            : SuseTaintLayout.Current;
    }
}

/// <summary>One bit of the kernel's taint mask.</summary>
/// <param name="Bit">The bit number (value 2^Bit).</param>
/// <param name="Letter">What the "Tainted:" line shows when the bit is set.</param>
/// <param name="LetterWhenClear">What it shows when the bit is clear (<c>G</c> for bit 0, else a blank).</param>
/// <param name="Name">The kernel's constant.</param>
/// <param name="Reason">Why the bit got set, in the words of the kernel's tainted-kernels documentation.</param>
/// <param name="Suse">True for a bit only SUSE kernels set (or give another meaning).</param>
public sealed record TaintFlag(int Bit, char Letter, char LetterWhenClear, string Name, string Reason, bool Suse = false)
{
    public ulong Value => 1UL << Bit;
}

/// <summary>The taint bits of Linux 6.1 (include/linux/panic.h, Documentation/admin-guide/tainted-kernels.rst) and SUSE's support bits.</summary>
public static class TaintFlags
{
    /// <summary>Upstream's flags, in bit order; the "Tainted:" line has one column for each.</summary>
    public static readonly IReadOnlyList<TaintFlag> Upstream =
    [
        new(0, 'P', 'G', "TAINT_PROPRIETARY_MODULE", "proprietary module was loaded"),
        new(1, 'F', ' ', "TAINT_FORCED_MODULE", "module was force loaded"),
        new(2, 'S', ' ', "TAINT_CPU_OUT_OF_SPEC", "kernel running on an out of specification system"),
        new(3, 'R', ' ', "TAINT_FORCED_RMMOD", "module was force unloaded"),
        new(4, 'M', ' ', "TAINT_MACHINE_CHECK", "processor reported a Machine Check Exception (MCE)"),
        new(5, 'B', ' ', "TAINT_BAD_PAGE", "bad page referenced or some unexpected page flags"),
        new(6, 'U', ' ', "TAINT_USER", "taint requested by userspace application"),
        new(7, 'D', ' ', "TAINT_DIE", "kernel died recently, i.e. there was an OOPS or BUG"),
        new(8, 'A', ' ', "TAINT_OVERRIDDEN_ACPI_TABLE", "ACPI table overridden by user"),
        new(9, 'W', ' ', "TAINT_WARN", "kernel issued warning"),
        new(10, 'C', ' ', "TAINT_CRAP", "staging driver was loaded"),
        new(11, 'I', ' ', "TAINT_FIRMWARE_WORKAROUND", "workaround for bug in platform firmware applied"),
        new(12, 'O', ' ', "TAINT_OOT_MODULE", "externally-built (\"out-of-tree\") module was loaded"),
        new(13, 'E', ' ', "TAINT_UNSIGNED_MODULE", "unsigned module was loaded"),
        new(14, 'L', ' ', "TAINT_SOFTLOCKUP", "soft lockup occurred"),
        new(15, 'K', ' ', "TAINT_LIVEPATCH", "kernel has been live patched"),
        new(16, 'X', ' ', "TAINT_AUX", "auxiliary taint, defined for and used by distros"),
        new(17, 'T', ' ', "TAINT_RANDSTRUCT", "kernel was built with the struct randomization plugin"),
        new(18, 'N', ' ', "TAINT_TEST", "an in-kernel test has been run"),
    ];

    private const string Unsupported = "an unsupported kernel module was loaded (its modinfo has no \"supported: yes\" or \"supported: external\")";
    private const string External = "a kernel module with external support (\"supported: external\") was loaded";

    /// <summary>The flags a kernel with <paramref name="layout"/> knows, in bit order.</summary>
    public static IReadOnlyList<TaintFlag> For(SuseTaintLayout layout) => layout switch
    {
        SuseTaintLayout.Current =>
        [
            .. Upstream.Where(f => f.Bit != 16),
            new(16, 'X', ' ', "TAINT_EXTERNAL_SUPPORT", External, Suse: true),
            new(31, 'N', ' ', "TAINT_NO_SUPPORT", Unsupported, Suse: true),
        ],
        SuseTaintLayout.Legacy =>
        [
            .. Upstream,
            new(30, 'N', ' ', "TAINT_NO_SUPPORT", Unsupported, Suse: true),
            new(31, 'X', ' ', "TAINT_EXTERNAL_SUPPORT", External, Suse: true),
        ],
        SuseTaintLayout.Early =>
        [
            .. Upstream.Where(f => f.Bit < 2),
            // 2.6's name and words for bit 2: later kernels widened it to any out-of-spec system.
            new(2, 'S', ' ', "TAINT_UNSAFE_SMP", "SMP kernel running on hardware that has not been certified as safe to run multiprocessor"),
            new(4, 'U', ' ', "TAINT_NO_SUPPORT", Unsupported, Suse: true),
            new(5, 'X', ' ', "TAINT_EXTERNAL_SUPPORT", External, Suse: true),
            new(10, 'M', ' ', "TAINT_MACHINE_CHECK", "processor reported a Machine Check Exception (MCE)", Suse: true),
        ],
        _ => Upstream,
    };
}
