using System.Formats.Tar;
using System.IO.Compression;
using Kpk.Core;

namespace Kpk.Build;

/// <summary>The version of kpk recorded in manifests and cache keys.</summary>
public static class KpkVersion
{
    public static string Current { get; } =
        typeof(KpkVersion).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0]
        ?? typeof(KpkVersion).Assembly.GetName().Version?.ToString() ?? "0";
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
            Add(tar, top + PatchManifest.FileName, System.Text.Encoding.UTF8.GetBytes(manifest.ToJson() + "\n"));
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
