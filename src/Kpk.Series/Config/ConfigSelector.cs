using Kpk.Core;
using Kpk.Series.Apply;
using Kpk.Series.Guards;

namespace Kpk.Series.Config;

/// <summary>The config a kernel of one architecture and flavour is built from, and where its parts came from.</summary>
/// <param name="Flavors">The flavours config.conf selects for the architecture, in its order.</param>
/// <param name="Base">The config file used (<c>config/ARCH/FLAVOR</c>, or that member of config.tar.bz2).</param>
/// <param name="Addon">The add-on laid over it, when there is one.</param>
public sealed record ConfigSelection(string Arch, string Flavor, IReadOnlyList<string> Flavors, string Base, string? Addon, ConfigMergeResult Result);

/// <summary>
/// <c>kpk config select</c>: what SUSE's kernel-source does to configure a flavour. config.conf (guards
/// syntax) lists <c>ARCH/FLAVOR</c> config files; guards with the architecture's symbol choose the
/// flavours that are built; the kernel's <c>.config</c> is <c>config/ARCH/FLAVOR</c> with
/// <c>config.addon/ARCH/FLAVOR</c> laid over it where that exists (kernel-binary.spec). Both trees
/// may be unpacked directories or the <c>config.tar.bz2</c> and <c>config.addon.tar.bz2</c> the source
/// RPM ships.
/// </summary>
public static class ConfigSelector
{
    public const string ConfigConf = "config.conf";

    /// <summary>The guards symbol for an architecture, as kernel-source's arch-symbols gives it.</summary>
    public static string ArchSymbol(string arch) => arch switch
    {
        "i386" or "i486" or "i586" or "i686" => "i386",
        "aarch64" => "arm64",
        _ => arch,
    };

    public static ConfigSelection Select(string sourceDir, string arch, string flavor, CancellationToken cancel = default)
    {
        if (arch.Length == 0 || flavor.Length == 0 || arch.Contains('/') || flavor.Contains('/') || arch.StartsWith('.') || flavor.StartsWith('.'))
            throw new KpkException($"--arch {arch} --flavor {flavor}: give an architecture and a flavour name, such as --arch x86_64 --flavor default");
        sourceDir = Path.GetFullPath(sourceDir); // tar runs in the directory it unpacks into
        string confPath = Path.Combine(sourceDir, ConfigConf);
        byte[] conf;
        try { conf = File.ReadAllBytes(confPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{confPath}: cannot read: {e.Message}");
        }
        string symbol = ArchSymbol(arch);
        var entries = GuardedList.Parse(ByteText.FromBytes(conf));
        var mine = entries.Where(e => e.Name.StartsWith(symbol + "/", StringComparison.Ordinal)).ToList();
        var selected = GuardEvaluator.Select(mine, new HashSet<string>(StringComparer.Ordinal) { symbol }).ToList();
        var flavors = selected.Select(e => e.Name[(symbol.Length + 1)..]).ToList();
        string wanted = $"{symbol}/{flavor}";
        if (!selected.Any(e => e.Name == wanted))
        {
            string known = flavors.Count > 0 ? string.Join(", ", flavors) : "none";
            throw mine.FirstOrDefault(e => e.Name == wanted) is { } entry
                ? new KpkException($"{confPath}:{entry.Line}: {wanted} is listed but its guards ({string.Join(' ', entry.Guards)}) leave it out for {arch}; built flavours: {known}")
                : new KpkException($"{confPath}: no {wanted}; the flavours built for {arch} are: {known}");
        }

        using var unpacked = new UnpackedTrees(sourceDir, cancel);
        string basePath = unpacked.Find("config", wanted)
            ?? throw new KpkException($"{sourceDir}: no config/{wanted} (nor in config.tar.bz2), though {ConfigConf} selects it");
        string? addonPath = unpacked.Find("config.addon", wanted);
        var configs = new List<KernelConfig> { KernelConfig.Parse(unpacked.Display(basePath), ReadText(basePath)) };
        if (addonPath != null) configs.Add(KernelConfig.Parse(unpacked.Display(addonPath), ReadText(addonPath)));
        return new ConfigSelection(arch, flavor, flavors, unpacked.Display(basePath), addonPath != null ? unpacked.Display(addonPath) : null, ConfigMerger.Merge(configs));
    }

    private static string ReadText(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{path}: cannot read: {e.Message}");
        }
    }

    /// <summary>
    /// <c>DIR/ARCH/FLAVOR</c> from the directory, else from <c>DIR.tar.bz2</c> unpacked once into a
    /// private temporary directory (removed on dispose).
    /// </summary>
    private sealed class UnpackedTrees(string sourceDir, CancellationToken cancel) : IDisposable
    {
        private readonly Dictionary<string, string> _unpacked = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _display = new(StringComparer.Ordinal);

        public string? Find(string tree, string member)
        {
            string plain = Path.Combine(sourceDir, tree, member);
            if (File.Exists(plain)) { _display[plain] = plain; return plain; }
            string tarball = Path.Combine(sourceDir, tree + ".tar.bz2");
            if (!File.Exists(tarball)) return null;
            if (!_unpacked.TryGetValue(tarball, out string? dir))
            {
                dir = Directory.CreateTempSubdirectory("kpk-config-").FullName;
                _unpacked[tarball] = dir;
                VanillaSource.UnpackBzip2(tarball, dir, cancel);
            }
            // The source RPM's archives hold TREE/ARCH/FLAVOR.
            string inside = Path.Combine(dir, tree, member);
            if (!File.Exists(inside)) return null;
            _display[inside] = $"{tarball}:{tree}/{member}";
            return inside;
        }

        public string Display(string path) => _display.GetValueOrDefault(path, path);

        public void Dispose()
        {
            foreach (string dir in _unpacked.Values)
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
