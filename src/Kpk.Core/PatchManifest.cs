using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kpk.Core;

/// <summary>
/// <c>manifest.json</c> in a <c>kpk-ID.tar.gz</c>: what the live patch is and what it was built
/// against. <c>kpk create</c> writes it and the runtime verbs read it with this same type, so the
/// two cannot drift apart. JSON names are snake_case (<c>kernel_release</c>, <c>vmlinux_build_id</c>).
/// </summary>
public sealed record PatchManifest
{
    public const int CurrentFormat = 1;
    public const string FileName = "manifest.json";

    public int Format { get; init; } = CurrentFormat;
    public required string Id { get; init; }
    /// <summary>The module name (<c>.modinfo</c> name=), which is also the livepatch sysfs directory name.</summary>
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    /// <summary><c>uname -r</c> of the kernel the patch was built for.</summary>
    public required string KernelRelease { get; init; }
    /// <summary>The GNU build id of that kernel's vmlinux, lowercase hex; null when unknown.</summary>
    public string? VmlinuxBuildId { get; init; }
    /// <summary>The distribution package of that kernel (linux-image-6.1.0-57-cloud-amd64) and its version, when it was built from one.</summary>
    public string? KernelPackage { get; init; }
    public string? KernelPackageVersion { get; init; }
    public string? Compiler { get; init; }
    /// <summary>A cumulative patch: loading it replaces every live patch loaded before.</summary>
    public bool Replace { get; init; }
    /// <summary>Patched functions by object: "vmlinux" or a module name.</summary>
    public required IReadOnlyDictionary<string, string[]> Objects { get; init; }
    public string? KpkVersion { get; init; }
    public DateTimeOffset? Created { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, ManifestJsonContext.Default.PatchManifest);

    public void Write(string path) => AtomicFile.WriteAllText(path, ToJson() + "\n");

    public static PatchManifest Read(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{path}: {e.Message}");
        }
        return Parse(text, path);
    }

    /// <summary>Parses and checks a manifest; errors name <paramref name="source"/> and the bad field.</summary>
    public static PatchManifest Parse(string json, string source)
    {
        PatchManifest? manifest;
        try { manifest = JsonSerializer.Deserialize(json, ManifestJsonContext.Default.PatchManifest); }
        catch (JsonException e)
        {
            string where = e.LineNumber is long line ? $" (line {line + 1})" : "";
            throw new KpkException($"{source}: not a valid kpk manifest{where}: {e.Message}");
        }
        if (manifest == null) throw new KpkException($"{source}: empty manifest");
        if (manifest.Format != CurrentFormat)
            throw new KpkException($"{source}: manifest format {manifest.Format} is not supported (this kpk reads format {CurrentFormat})");
        Require(manifest.Id, "id", source);
        Require(manifest.Name, "name", source);
        Require(manifest.KernelRelease, "kernel_release", source);
        if (!ModuleName.IsValid(manifest.Name))
            throw new KpkException($"{source}: name \"{manifest.Name}\" is not a module name");
        if (!ModuleName.IsValid(manifest.Id))
            throw new KpkException($"{source}: id \"{manifest.Id}\" may only hold letters, digits, '-' and '_'");
        CheckObjects(manifest.Objects, source);
        return manifest;
    }

    /// <summary>
    /// Every object is "vmlinux" or a module name and patches at least one function, each named once
    /// as a kernel symbol; the whole manifest is checked before anything acts on it.
    /// </summary>
    private static void CheckObjects(IReadOnlyDictionary<string, string[]>? objects, string source)
    {
        if (objects == null || objects.Count == 0)
            throw new KpkException($"{source}: objects is missing or empty; a live patch patches at least one function");
        foreach (var (obj, functions) in objects)
        {
            if (!ModuleName.IsValid(obj))
                throw new KpkException($"{source}: object \"{obj}\" is neither vmlinux nor a module name");
            if (functions == null || functions.Length == 0)
                throw new KpkException($"{source}: object {obj} lists no functions; a live patch patches at least one");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (string? function in functions)
            {
                if (function == null || !SymbolName.IsValid(function))
                    throw new KpkException($"{source}: object {obj}: {(function == null ? "null" : $"\"{function}\"")} is not a function name");
                if (!seen.Add(function))
                    throw new KpkException($"{source}: object {obj}: function {function} is listed twice");
            }
        }
    }

    private static void Require(string? value, string field, string source)
    {
        if (string.IsNullOrWhiteSpace(value)) throw new KpkException($"{source}: {field} is missing or empty");
    }
}

/// <summary>Kernel symbol names as kallsyms and the livepatch sysfs show them.</summary>
public static class SymbolName
{
    /// <summary>KSYM_NAME_LEN is 512 with the NUL; printable, without blanks or the "," sysfs puts before the position.</summary>
    public static bool IsValid(string name) =>
        name.Length is > 0 and < 512 && name.All(c => c is > ' ' and < (char)0x7f and not ',' and not '/');
}

/// <summary>The manifest's JSON, generated at compile time (no reflection, so the native binary can read it).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    // A key given twice would let two readers of one manifest see different patches.
    AllowDuplicateProperties = false)]
[JsonSerializable(typeof(PatchManifest))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;

/// <summary>Kernel module names: what may appear as a sysfs directory and a file name.</summary>
public static class ModuleName
{
    public static bool IsValid(string name) =>
        name.Length is > 0 and < 56 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    /// <summary>The kernel spells module names with '_' where the file may have '-'.</summary>
    public static string Normalize(string name) => name.Replace('-', '_');
}
