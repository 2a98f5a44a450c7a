using Kpk.Core;

namespace Kpk.Diff;

/// <summary>
/// Exported symbols from a kbuild <c>Module.symvers</c>: lines of
/// <c>CRC&lt;TAB&gt;SYMBOL&lt;TAB&gt;MODULE&lt;TAB&gt;EXPORT_TYPE[&lt;TAB&gt;NAMESPACE]</c>, where MODULE is
/// <c>vmlinux</c> or a module path such as <c>drivers/foo/bar</c>.
/// </summary>
public sealed class ModuleSymvers
{
    private readonly Dictionary<string, string> _exporter;

    private ModuleSymvers(Dictionary<string, string> exporter) => _exporter = exporter;

    public static ModuleSymvers Empty { get; } = new(new Dictionary<string, string>());

    public int Count => _exporter.Count;

    public static ModuleSymvers Load(string path)
    {
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{path}: cannot read Module.symvers: {e.Message}");
        }
        return Parse(lines, path);
    }

    public static ModuleSymvers Parse(IEnumerable<string> lines, string name)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        int number = 0;
        foreach (var line in lines)
        {
            number++;
            if (line.Length == 0) continue;
            var fields = line.Split('\t');
            if (fields.Length < 4 || !fields[0].StartsWith("0x", StringComparison.Ordinal))
                throw new KpkException($"{name}:{number}: not a Module.symvers line (expected CRC, symbol, module, export type separated by tabs)");
            // The module column is a path for modules; the livepatch object name is its last part.
            string module = fields[2];
            int slash = module.LastIndexOf('/');
            map[fields[1]] = slash >= 0 ? module[(slash + 1)..] : module;
        }
        return new ModuleSymvers(map);
    }

    /// <summary>The object that exports <paramref name="symbol"/> (<c>vmlinux</c> or a module name), or null.</summary>
    public string? ExporterOf(string symbol) => _exporter.GetValueOrDefault(symbol);
}
