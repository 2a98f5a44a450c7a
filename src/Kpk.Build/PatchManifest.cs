using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kpk.Core;

namespace Kpk.Build;

/// <summary>
/// manifest.json of a kpk-ID.tar.gz: what <c>kpk apply</c> and <c>kpk info</c> read. Field names
/// are the agreed snake_case ones (format 1).
/// </summary>
public sealed record PatchManifest
{
    [JsonPropertyName("format")] public int Format { get; init; } = 1;
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("description")] public string? Description { get; init; }
    [JsonPropertyName("kernel_release")] public string? KernelRelease { get; init; }
    [JsonPropertyName("vmlinux_build_id")] public string? VmlinuxBuildId { get; init; }
    [JsonPropertyName("compiler")] public string? Compiler { get; init; }
    [JsonPropertyName("replace")] public bool Replace { get; init; }
    /// <summary>Replaced functions per patched object (vmlinux or a module name).</summary>
    [JsonPropertyName("objects")] public required SortedDictionary<string, List<string>> Objects { get; init; }
    [JsonPropertyName("kpk_version")] public required string KpkVersion { get; init; }
    [JsonPropertyName("created")] public required DateTimeOffset Created { get; init; }

    // Every field is written (null when unknown), and '+' in compiler versions stays readable.
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static PatchManifest? FromJson(string json) => JsonSerializer.Deserialize<PatchManifest>(json, Json);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static string KpkVersionString() =>
        typeof(PatchManifest).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0]
        ?? typeof(PatchManifest).Assembly.GetName().Version?.ToString() ?? "0";
}

/// <summary>Writes kpk-ID.tar.gz: kpk-ID/NAME.ko, the patch files and manifest.json.</summary>
public static class PatchArchive
{
    public static void Write(string archivePath, string id, string moduleFile, IReadOnlyList<(string Name, string Path)> patches, PatchManifest manifest)
    {
        AtomicFile.Write(archivePath, stream =>
        {
            using var gzip = new GZipStream(stream, CompressionLevel.Optimal, leaveOpen: true);
            using var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true);
            string top = $"kpk-{id}/";
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, top) { Mode = (UnixFileMode)0b111_101_101 });
            Add(tar, top + Path.GetFileName(moduleFile), File.ReadAllBytes(moduleFile));
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, path) in patches)
            {
                string entry = name;
                for (int n = 2; !used.Add(entry); n++) entry = $"{n}-{name}";
                Add(tar, top + entry, File.ReadAllBytes(path));
            }
            Add(tar, top + "manifest.json", System.Text.Encoding.UTF8.GetBytes(manifest.ToJson() + "\n"));
        });
    }

    private static void Add(TarWriter tar, string name, byte[] content)
    {
        var e = new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(content),
            Mode = (UnixFileMode)0b110_100_100,
            ModificationTime = DateTimeOffset.UtcNow,
        };
        tar.WriteEntry(e);
    }
}
