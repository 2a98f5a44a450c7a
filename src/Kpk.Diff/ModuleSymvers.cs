using System.Globalization;
using System.IO.Compression;
using Kpk.Core;

namespace Kpk.Diff;

/// <summary>
/// Exported symbols from a kbuild <c>Module.symvers</c>: lines of
/// <c>CRC&lt;TAB&gt;SYMBOL&lt;TAB&gt;MODULE&lt;TAB&gt;EXPORT_TYPE[&lt;TAB&gt;NAMESPACE]</c>, where MODULE is
/// <c>vmlinux</c> or a module path such as <c>drivers/foo/bar</c>. Distributions install the same
/// file, often gzipped, as <c>/lib/modules/RELEASE/symvers.gz</c> or <c>/boot/symvers-RELEASE.gz</c>.
/// </summary>
public sealed class ModuleSymvers
{
    private readonly Dictionary<string, string> _exporter;
    private readonly Dictionary<string, uint> _crc;

    private ModuleSymvers(Dictionary<string, string> exporter, Dictionary<string, uint> crc)
    {
        _exporter = exporter;
        _crc = crc;
    }

    public static ModuleSymvers Empty { get; } = new(new Dictionary<string, string>(), new Dictionary<string, uint>());

    public int Count => _exporter.Count;

    public static ModuleSymvers Load(string path)
    {
        string[] lines;
        try { lines = ReadLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{path}: cannot read Module.symvers: {e.Message}");
        }
        return Parse(lines, path);
    }

    public static ModuleSymvers Parse(IEnumerable<string> lines, string name)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var crcs = new Dictionary<string, uint>(StringComparer.Ordinal);
        int number = 0;
        foreach (var line in lines)
        {
            number++;
            if (line.Length == 0) continue;
            var fields = line.Split('\t');
            if (fields.Length < 4 || !fields[0].StartsWith("0x", StringComparison.Ordinal)
                || !uint.TryParse(fields[0].AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint crc))
                throw new KpkException($"{name}:{number}: not a Module.symvers line (expected CRC, symbol, module, export type separated by tabs)");
            // The module column is a path for modules; the livepatch object name is its last part.
            string module = fields[2];
            int slash = module.LastIndexOf('/');
            map[fields[1]] = slash >= 0 ? module[(slash + 1)..] : module;
            crcs[fields[1]] = crc;
        }
        return new ModuleSymvers(map, crcs);
    }

    /// <summary>A plain Module.symvers, or a gzipped one (<c>symvers.gz</c>) as distributions install it.</summary>
    private static string[] ReadLines(string path)
    {
        if (!path.EndsWith(".gz", StringComparison.Ordinal)) return File.ReadAllLines(path);
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        try
        {
            return reader.ReadToEnd().Split('\n');
        }
        catch (InvalidDataException e)
        {
            throw new IOException($"not gzip data ({e.Message})", e);
        }
    }

    /// <summary>The object that exports <paramref name="symbol"/> (<c>vmlinux</c> or a module name), or null.</summary>
    public string? ExporterOf(string symbol) => _exporter.GetValueOrDefault(symbol);

    /// <summary>The symbol's version CRC (what modules built against it record in <c>__versions</c>), or null if it is not exported.</summary>
    public uint? CrcOf(string symbol) => _crc.TryGetValue(symbol, out uint crc) ? crc : null;
}
