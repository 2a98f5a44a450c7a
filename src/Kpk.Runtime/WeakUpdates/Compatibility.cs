namespace Kpk.Runtime.WeakUpdates;

/// <summary>Whether a module of another kernel may be linked into a kernel, and why.</summary>
public sealed record Verdict(UpdateModule Module, InstalledKernel Kernel, bool Compatible, string Reason)
{
    public override string ToString() =>
        $"{Kernel.Release}: {Module.InRootPath}: {(Compatible ? "compatible" : "not compatible")}: {Reason}";
}

/// <summary>
/// The symbols a kernel offers a module linked into its weak-updates: its symvers (vmlinux and
/// in-tree modules), the exports of its own updates/ modules, and those of the other modules
/// linked beside it.
/// </summary>
public sealed class SymbolPool
{
    private readonly InstalledKernel _kernel;
    private readonly Dictionary<string, (uint? Crc, string From)> _modules = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _rejected = new(StringComparer.Ordinal);

    /// <param name="modules">The modules whose exports are there.</param>
    /// <param name="rejected">Modules that will not be linked: a symbol only they export is named with them.</param>
    public SymbolPool(InstalledKernel kernel, IEnumerable<UpdateModule> modules, IEnumerable<UpdateModule> rejected)
    {
        _kernel = kernel;
        foreach (var module in modules)
            foreach (var (name, crc) in module.Symbols.Exports)
                _modules.TryAdd(name, (crc, module.InRootPath));
        foreach (var module in rejected)
            foreach (string name in module.Symbols.Exports.Keys)
                _rejected.TryAdd(name, module.InRootPath);
    }

    /// <summary>
    /// The first reason the module cannot be loaded with these exports, or null: a symbol nobody
    /// exports, or one whose CRC differs from the one the module was built against.
    /// </summary>
    public string? FirstMismatch(ModuleSymbols module)
    {
        var symvers = _kernel.Symvers!.Value;
        foreach (var import in module.Imports)
        {
            uint? have; string from;
            if (symvers.Symvers.CrcOf(import.Name) is uint crc) (have, from) = (crc, symvers.Source);
            else if (_modules.TryGetValue(import.Name, out var e)) (have, from) = e;
            else if (_rejected.TryGetValue(import.Name, out string? only))
                return $"{import.Name} comes from {only}, which is not linked into {_kernel.Release}";
            else return $"{import.Name} is not exported by {_kernel.Release} (nor by its updates/ or the modules linked beside it)";
            // An exporter without a CRC is accepted by the module loader, as is any CRC when the module has none.
            if (import.Crc is uint want && have is uint got && want != got)
                return $"{import.Name} has CRC 0x{got:x8} in {from}, the module was built against 0x{want:x8}";
        }
        return null;
    }
}
