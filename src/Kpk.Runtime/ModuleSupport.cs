using Kpk.Core;
using Kpk.Series.Supported;

namespace Kpk.Runtime;

/// <summary>What SUSE's kernel and modprobe do with a module of one support tag.</summary>
/// <param name="Loads">False when the kernel (or modprobe) refuses it.</param>
/// <param name="Taint">The taint letter it sets (current layout: X bit 16, N bit 31), or null.</param>
public sealed record LoadOutcome(bool Loads, char? Taint, string Description);

/// <summary>
/// SUSE's support checks at module load. The kernel's setting (the <c>unsupported=</c> boot parameter,
/// /proc/sys/kernel/unsupported): 0 refuses unsupported modules, 1 loads them with a warning, 2 loads
/// them silently; both taint the kernel with N. Externally supported modules load at every setting and
/// taint with X. modprobe's <c>allow_unsupported_modules 0</c> (modprobe.d) refuses unsupported modules
/// before the kernel sees them, unless modprobe is run with <c>--allow-unsupported-modules</c>.
/// </summary>
public static class ModuleSupport
{
    public const string KernelSettingFile = "/proc/sys/kernel/unsupported";
    public static readonly string[] ModprobeDirectories = ["/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/lib/modprobe.d", "/usr/lib/modprobe.d"];

    /// <summary>The module's <c>supported:</c> modinfo tag (SUSE's modpost writes it from Module.supported); none or another value is unsupported.</summary>
    public static SupportLevel LevelOf(ModInfo info) => info["supported"] switch
    {
        "yes" => SupportLevel.Yes,
        "external" => SupportLevel.External,
        _ => SupportLevel.No,
    };

    public static string Describe(SupportLevel tag, ModInfo info) => tag switch
    {
        SupportLevel.Yes => "supported: yes (supported by SUSE)",
        SupportLevel.External => "supported: external (supported by a third party)",
        _ => info["supported"] switch
        {
            null => "no supported tag (unsupported)",
            "no" => "supported: no (unsupported)",
            var other => $"supported: {other} (not a value SUSE's kernel knows: unsupported)",
        },
    };

    /// <summary>What the kernel does with the module at setting 0, 1 or 2.</summary>
    public static LoadOutcome Kernel(SupportLevel tag, int setting)
    {
        if (setting is < 0 or > 2) throw new ArgumentOutOfRangeException(nameof(setting), "the kernel knows 0, 1 and 2");
        return tag switch
        {
            SupportLevel.Yes => new LoadOutcome(true, null, "loads"),
            SupportLevel.External => new LoadOutcome(true, 'X', "loads and taints the kernel with X (externally supported)"),
            _ => setting switch
            {
                0 => new LoadOutcome(false, null, "refused: the kernel loads only supported modules"),
                1 => new LoadOutcome(true, 'N', "loads with a warning and taints the kernel with N (unsupported)"),
                _ => new LoadOutcome(true, 'N', "loads silently and taints the kernel with N (unsupported)"),
            },
        };
    }

    /// <summary>What modprobe does with the module given <c>allow_unsupported_modules</c> (0 or 1).</summary>
    public static LoadOutcome Modprobe(SupportLevel tag, bool allowUnsupported) =>
        tag != SupportLevel.No || allowUnsupported
            ? new LoadOutcome(true, null, "modprobe passes it to the kernel")
            : new LoadOutcome(false, null, "refused by modprobe (unless run with --allow-unsupported-modules)");

    /// <summary>The kernel's setting under the root, or null when the file is missing (not a SUSE kernel).</summary>
    public static int? ReadKernelSetting(SystemRoot root)
    {
        string path = root.Resolve(KernelSettingFile);
        string text;
        try { text = File.ReadAllText(path).Trim(); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{path}: cannot read: {e.Message}");
        }
        if (text is not ("0" or "1" or "2")) throw new KpkException($"{path}: \"{text}\" is not 0, 1 or 2");
        return text[0] - '0';
    }

    /// <summary>
    /// modprobe's <c>allow_unsupported_modules</c> under the root: the .conf files of the modprobe.d
    /// directories in file-name order (a name in an earlier directory hides the same name in a later
    /// one, as modprobe reads them); the last setting wins. Null when none sets it.
    /// </summary>
    public static (bool Allow, string File)? ReadModprobeSetting(SystemRoot root)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string dir in ModprobeDirectories)
        {
            string real = root.Resolve(dir);
            if (!Directory.Exists(real)) continue;
            foreach (string file in Directory.EnumerateFiles(real, "*.conf"))
                files.TryAdd(Path.GetFileName(file), file);
        }
        (bool, string)? result = null;
        foreach (string file in files.Values)
        {
            int number = 0;
            foreach (string line in File.ReadLines(file))
            {
                number++;
                var words = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (words is not ["allow_unsupported_modules", var value, ..]) continue;
                if (value is not ("0" or "1")) throw new KpkException($"{file}:{number}: allow_unsupported_modules takes 0 or 1, not \"{value}\"");
                result = (value == "1", $"/{Path.GetRelativePath(root.Directory, file)}:{number}");
            }
        }
        return result;
    }
}

/// <summary><c>kpk supported --module FILE.ko</c>: a module's support tag and what each setting would do with it.</summary>
public sealed record ModuleSupportReport(string File, SupportLevel Level, string Tag, IReadOnlyList<string> Lines)
{
    public static ModuleSupportReport Read(string path, SystemRoot root)
    {
        if (!System.IO.File.Exists(path)) throw new KpkException($"{path}: no such file");
        using var elf = Kpk.Elf.ElfObject.Parse(ModuleSymbols.ReadModuleBytes(path), path);
        var info = ModInfo.Read(elf, path);
        var level = ModuleSupport.LevelOf(info);
        var lines = new List<string>();
        for (int setting = 0; setting <= 2; setting++)
            lines.Add($"kernel unsupported={setting}: {ModuleSupport.Kernel(level, setting).Description}");
        foreach (bool allow in new[] { false, true })
            lines.Add($"modprobe allow_unsupported_modules {(allow ? 1 : 0)}: {ModuleSupport.Modprobe(level, allow).Description}");
        if (ModuleSupport.ReadKernelSetting(root) is int current)
            lines.Add($"this system: {ModuleSupport.KernelSettingFile} is {current}: {ModuleSupport.Kernel(level, current).Description}");
        if (ModuleSupport.ReadModprobeSetting(root) is var (allowed, where))
            lines.Add($"this system: allow_unsupported_modules {(allowed ? 1 : 0)} ({where}): {ModuleSupport.Modprobe(level, allowed).Description}");
        return new ModuleSupportReport(path, level, ModuleSupport.Describe(level, info), lines);
    }
}
