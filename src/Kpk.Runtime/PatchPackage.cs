using Kpk.Core;

namespace Kpk.Runtime;

/// <summary>
/// A live patch as the user hands it to kpk: a bare module (<c>NAME.ko</c>) or a tarball
/// (<c>kpk-ID.tar.gz</c> holding <c>kpk-ID/NAME.ko</c>, <c>kpk-ID/*.patch</c>, <c>kpk-ID/manifest.json</c>).
/// A tarball is unpacked into a private temporary directory, removed on Dispose.
/// </summary>
public sealed class PatchPackage : IDisposable
{
    private readonly string? _unpacked;
    private readonly Func<byte[]> _moduleBytes;

    private PatchPackage(string source, LivePatchModule module, PatchManifest? manifest, string? unpacked, IReadOnlyList<string> patches, Func<byte[]>? moduleBytes = null)
    {
        _moduleBytes = moduleBytes ?? (() => File.ReadAllBytes(module.Path));
        Source = source;
        Module = module;
        Manifest = manifest;
        _unpacked = unpacked;
        Patches = patches;
    }

    /// <summary>The file the user named.</summary>
    public string Source { get; }
    public LivePatchModule Module { get; }
    /// <summary>The tarball's manifest; null for a bare module.</summary>
    public PatchManifest? Manifest { get; }
    /// <summary>The source patches in the tarball (unpacked paths); empty for a bare module.</summary>
    public IReadOnlyList<string> Patches { get; }

    public string Name => Module.Name;

    /// <summary>The module file's content; from a tarball, read as it came out of the archive (never through a link).</summary>
    public byte[] ReadModule() => _moduleBytes();
    public string? Id => Manifest?.Id;

    public static PatchPackage Open(string path)
    {
        if (!File.Exists(path)) throw new KpkException($"{path}: no such file");
        Span<byte> magic = stackalloc byte[4];
        int n;
        using (var f = File.OpenRead(path)) n = f.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return OpenTarball(path);
        if (n == 4 && magic is [0x7f, (byte)'E', (byte)'L', (byte)'F']) return new PatchPackage(path, LivePatchModule.Read(path), null, null, []);
        throw new KpkException($"{path}: neither a kernel module (ELF) nor a kpk tarball (.tar.gz)");
    }

    private static PatchPackage OpenTarball(string path)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"kpk-unpack-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            var unpacked = SafeTarExtractor.Extract(path, dir);
            var tops = Directory.GetFileSystemEntries(dir);
            if (tops.Length != 1 || !Directory.Exists(tops[0]))
                throw new KpkException($"{path}: a kpk tarball holds exactly one directory kpk-ID/");
            string top = Path.GetFileName(tops[0]);
            string manifestName = $"{top}/{PatchManifest.FileName}";
            if (!unpacked.Contains(manifestName))
                throw new KpkException($"{path}: no {manifestName}{(Directory.Exists(unpacked.PathOf(manifestName)) ? " (it is a directory)" : "")}");
            var manifest = PatchManifest.Parse(System.Text.Encoding.UTF8.GetString(unpacked.ReadAllBytes(manifestName)), $"{path}:{manifestName}");
            if (top != "kpk-" + manifest.Id)
                throw new KpkException($"{path}: directory {top}/ does not match the manifest id {manifest.Id} (expected kpk-{manifest.Id}/)");
            string koName = $"{top}/{manifest.Name}.ko";
            if (!unpacked.Contains(koName))
                throw new KpkException($"{path}: no {koName} (the manifest names module {manifest.Name})");
            var module = LivePatchModule.Parse(unpacked.ReadAllBytes(koName), unpacked.PathOf(koName), $"{path}:{koName}");
            CheckAgrees(path, module, manifest);
            var patches = unpacked.Files.Where(f => f.StartsWith(top + "/", StringComparison.Ordinal) && f.IndexOf('/', top.Length + 1) < 0 && f.EndsWith(".patch", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal).Select(unpacked.PathOf).ToList();
            return new PatchPackage(path, module, manifest, dir, patches, () => unpacked.ReadAllBytes(koName));
        }
        catch
        {
            TryDelete(dir);
            throw;
        }
    }

    /// <summary>An installed module with the manifest kept beside it (NAME.json), so boot-time loading checks the build id too.</summary>
    public static PatchPackage FromInstalled(string modulePath, PatchManifest? manifest)
    {
        var module = LivePatchModule.Read(modulePath);
        if (manifest != null) CheckAgrees(modulePath, module, manifest);
        return new PatchPackage(modulePath, module, manifest, null, []);
    }

    private static void CheckAgrees(string source, LivePatchModule module, PatchManifest manifest)
    {
        if (ModuleName.Normalize(module.Name) != ModuleName.Normalize(manifest.Name))
            throw new KpkException($"{source}: the module is named {module.Name} in its .modinfo but {manifest.Name} in the manifest");
        if (module.KernelRelease != null && module.KernelRelease != manifest.KernelRelease)
            throw new KpkException($"{source}: the module's vermagic is for {module.KernelRelease} but the manifest says {manifest.KernelRelease}");
    }

    /// <summary>Objects and functions: from the manifest when there is one (the builder knew), else from the module.</summary>
    public IReadOnlyList<PatchedObject> Objects =>
        Manifest?.Objects.Select(o => new PatchedObject(o.Key, o.Value.Select(f => new PatchedFunction(f)).ToList())).ToList()
        ?? Module.Objects;

    public bool? Replace => Manifest?.Replace ?? Module.Replace;
    public string? KernelRelease => Manifest?.KernelRelease ?? Module.KernelRelease;
    public string? Description => Manifest is { Description.Length: > 0 } m ? m.Description : Module.Description;

    public void Dispose()
    {
        if (_unpacked != null) TryDelete(_unpacked);
    }

    private static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
