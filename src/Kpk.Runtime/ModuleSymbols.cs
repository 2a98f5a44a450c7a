using System.Buffers.Binary;
using System.Text;
using Kpk.Core;
using Kpk.Core.Compression;
using Kpk.Elf;

namespace Kpk.Runtime;

/// <summary>A symbol a module needs from the kernel it is loaded into; <see cref="Crc"/> is null without MODVERSIONS.</summary>
public readonly record struct ImportedSymbol(string Name, uint? Crc);

/// <summary>
/// What a module (.ko, or .ko.gz) imports and exports, as the module loader sees it. Imports are its
/// <c>__versions</c> entries (name and the CRC it was built against) when the kernel had
/// MODVERSIONS, else its undefined symbols. Exports are its <c>__ksymtab_NAME</c> symbols with the
/// CRC kept at <c>__crc_NAME</c> in <c>__kcrctab</c>.
/// </summary>
public sealed class ModuleSymbols
{
    /// <summary>struct modversion_info of 64-bit kernels: an unsigned long CRC, then the name in the rest of 64 bytes.</summary>
    private const int VersionEntrySize = 64, VersionCrcSize = 8;

    private ModuleSymbols(string file, ModInfo info, IReadOnlyList<ImportedSymbol> imports, bool versioned, IReadOnlyDictionary<string, uint?> exports)
    {
        File = file;
        Info = info;
        Imports = imports;
        HasVersions = versioned;
        Exports = exports;
    }

    public string File { get; }
    public ModInfo Info { get; }
    public IReadOnlyList<ImportedSymbol> Imports { get; }
    /// <summary>True when the imports come from <c>__versions</c> (the module was built with MODVERSIONS).</summary>
    public bool HasVersions { get; }
    /// <summary>Exported symbol names and their CRCs (null when the module has no CRC for it).</summary>
    public IReadOnlyDictionary<string, uint?> Exports { get; }

    public static ModuleSymbols Read(string path)
    {
        using var elf = ElfObject.Parse(ReadModuleBytes(path), path);
        return From(elf, path);
    }

    /// <summary>The module's bytes: .ko as is, .ko.gz, .ko.xz and .ko.zst unpacked.</summary>
    public static byte[] ReadModuleBytes(string path)
    {
        if (!CompressedFile.WithoutSuffix(path).EndsWith(".ko", StringComparison.Ordinal))
            throw new KpkException($"{path}: not a module file kpk reads (.ko, .ko.gz, .ko.xz or .ko.zst)");
        try
        {
            return CompressedFile.ReadAllBytes(path);
        }
        catch (KpkException e)
        {
            throw new KpkException($"cannot read the module {e.Message}");
        }
    }

    public static ModuleSymbols From(ElfObject elf, string path)
    {
        if (elf.Type != ElfType.Rel) throw new KpkException($"{path}: not a relocatable object; not a kernel module");
        var info = ModInfo.Read(elf, path);
        var versions = elf.FindSection("__versions");
        IReadOnlyList<ImportedSymbol> imports = versions != null ? ParseVersions(versions.Data.Span, path) : UndefinedSymbols(elf);
        return new ModuleSymbols(path, info, imports, versions != null, ReadExports(elf));
    }

    private static List<ImportedSymbol> ParseVersions(ReadOnlySpan<byte> data, string path)
    {
        if (data.Length % VersionEntrySize != 0)
            throw new KpkException($"{path}: __versions is {data.Length} bytes, not a whole number of {VersionEntrySize}-byte entries");
        var result = new List<ImportedSymbol>(data.Length / VersionEntrySize);
        for (int at = 0; at < data.Length; at += VersionEntrySize)
        {
            var entry = data.Slice(at, VersionEntrySize);
            var name = entry[VersionCrcSize..];
            int end = name.IndexOf((byte)0);
            if (end <= 0) throw new KpkException($"{path}: __versions entry {at / VersionEntrySize} has no NUL-terminated name");
            // The CRC is a u32 in an unsigned long; x86-64 and the other 64-bit targets kpk reads are little-endian.
            uint crc = (uint)BinaryPrimitives.ReadUInt64LittleEndian(entry);
            result.Add(new ImportedSymbol(Encoding.ASCII.GetString(name[..end]), crc));
        }
        return result;
    }

    private static List<ImportedSymbol> UndefinedSymbols(ElfObject elf) =>
        elf.Symbols.Where(s => s.IsUndefined && !s.IsLocal && s.Name.Length > 0)
            .Select(s => new ImportedSymbol(s.Name, null)).ToList();

    private const string KsymtabPrefix = "__ksymtab_", CrcPrefix = "__crc_";

    private static Dictionary<string, uint?> ReadExports(ElfObject elf)
    {
        var crcs = new Dictionary<string, uint>(StringComparer.Ordinal);
        foreach (var sym in elf.Symbols)
        {
            if (!sym.Name.StartsWith(CrcPrefix, StringComparison.Ordinal) || sym.Section is not { } section) continue;
            var data = section.Data.Span;
            if (sym.Value + 4 <= (ulong)data.Length)
                crcs[sym.Name[CrcPrefix.Length..]] = BinaryPrimitives.ReadUInt32LittleEndian(data[(int)sym.Value..]);
        }
        var exports = new Dictionary<string, uint?>(StringComparer.Ordinal);
        foreach (var sym in elf.Symbols)
        {
            // __ksymtab_strings is the section of the names, not an export called "strings".
            if (!sym.Name.StartsWith(KsymtabPrefix, StringComparison.Ordinal) || sym.Type == SymbolType.Section || sym.Section == null) continue;
            string name = sym.Name[KsymtabPrefix.Length..];
            exports[name] = crcs.TryGetValue(name, out uint crc) ? crc : null;
        }
        return exports;
    }
}
