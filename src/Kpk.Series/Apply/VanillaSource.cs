using System.Formats.Tar;
using System.IO.Compression;
using Kpk.Core;

namespace Kpk.Series.Apply;

/// <summary>The vanilla tree patches are applied on: its directory and the name trees made from it carry.</summary>
public sealed record VanillaTree(string Root, string Name, bool Unpacked);

/// <summary>
/// Turns <c>--vanilla TARBALL|DIR</c> into a directory. A directory is used as it is (kpk never
/// writes into it). A tarball is unpacked once into <c>SCRATCH/NAME.orig</c>, as sequence-patch
/// does, and reused while the tarball is unchanged (a stamp file records its path, size and
/// time); its files are made read-only so that an edit through a hard link in a patched tree fails
/// instead of silently changing every later tree.
/// </summary>
public static class VanillaSource
{
    private static readonly (string Suffix, Compression Kind)[] Archives =
    [
        (".tar.gz", Compression.Gzip), (".tgz", Compression.Gzip),
        (".tar.xz", Compression.Xz), (".txz", Compression.Xz),
        (".tar.bz2", Compression.Bzip2), (".tbz2", Compression.Bzip2), (".tbz", Compression.Bzip2),
        (".tar", Compression.None),
    ];

    private enum Compression { None, Gzip, Xz, Bzip2 }

    public static VanillaTree Prepare(string vanilla, string scratch, IReporter reporter, CancellationToken cancel)
    {
        string full = Path.GetFullPath(vanilla);
        if (Directory.Exists(full))
        {
            string dir = Path.TrimEndingDirectorySeparator(full);
            return new VanillaTree(dir, Path.GetFileName(dir), Unpacked: false);
        }
        if (!File.Exists(full))
            throw new KpkException($"{vanilla}: no such vanilla tree or tarball");
        var archive = Archives.FirstOrDefault(a => full.EndsWith(a.Suffix, StringComparison.OrdinalIgnoreCase));
        if (archive.Suffix == null)
            throw new KpkException($"{vanilla}: not a directory nor a .tar, .tar.gz, .tar.xz or .tar.bz2 archive");
        string name = Path.GetFileName(full)[..^archive.Suffix.Length];
        string cache = Path.Combine(scratch, name + ".orig");
        string stampPath = cache + ".kpk-stamp";
        var info = new FileInfo(full);
        string stamp = $"{full}\n{info.Length}\n{info.LastWriteTimeUtc.Ticks}\n";
        if (Directory.Exists(cache))
        {
            string? old = File.Exists(stampPath) ? File.ReadAllText(stampPath) : null;
            if (old == stamp)
            {
                reporter.Info($"using {cache} (unpacked earlier from {vanilla})");
                return new VanillaTree(cache, name, Unpacked: true);
            }
            if (old == null)
                throw new KpkException($"{cache} exists but was not unpacked by kpk; remove it or choose another --dir");
            reporter.Info($"{vanilla} changed since it was unpacked; unpacking again");
            File.Delete(stampPath); // first, so a half-removed cache is never taken for a good one
            DeleteTree(cache);
        }
        try { Unpack(full, archive.Kind, scratch, cache, reporter, cancel); }
        catch (OperationCanceledException)
        {
            throw new KpkException($"interrupted while unpacking {vanilla}; the unfinished copy was removed", ExitCodes.Interrupted);
        }
        AtomicFile.WriteAllText(stampPath, stamp);
        return new VanillaTree(cache, name, Unpacked: true);
    }

    private static void Unpack(string tarball, Compression kind, string scratch, string cache, IReporter reporter, CancellationToken cancel)
    {
        string temp = Path.Combine(scratch, $".kpk-unpack-{Path.GetFileName(cache)}-{Environment.ProcessId}");
        if (Directory.Exists(temp)) DeleteTree(temp);
        Directory.CreateDirectory(temp);
        reporter.Stage($"unpacking {tarball}");
        try
        {
            if (kind is Compression.Gzip or Compression.None) UnpackWithBcl(tarball, kind, temp, cancel);
            else UnpackWithTar(tarball, kind, temp, cancel);
            cancel.ThrowIfCancellationRequested();
            // A kernel tarball holds one top directory (linux-6.1/); its contents are the tree.
            string root = temp;
            var entries = Directory.GetFileSystemEntries(temp);
            if (entries.Length == 1 && Directory.Exists(entries[0]) && new DirectoryInfo(entries[0]).LinkTarget == null) root = entries[0];
            MakeFilesReadOnly(root);
            Directory.Move(root, cache);
        }
        finally
        {
            if (Directory.Exists(temp)) DeleteTree(temp);
        }
    }

    private static void UnpackWithBcl(string tarball, Compression kind, string destination, CancellationToken cancel)
    {
        try
        {
            using Stream file = File.OpenRead(tarball);
            using Stream data = kind == Compression.Gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
            TarFile.ExtractToDirectoryAsync(data, destination, overwriteFiles: false, cancel).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or FormatException)
        {
            throw new KpkException($"{tarball}: cannot unpack: {e.Message}");
        }
    }

    /// <summary>Unpacks a .tar.bz2 (as SUSE's source RPM ships patches.*, config and config.addon) into an existing directory.</summary>
    internal static void UnpackBzip2(string tarball, string destination, CancellationToken cancel) =>
        UnpackWithTar(tarball, Compression.Bzip2, destination, cancel);

    private static void UnpackWithTar(string tarball, Compression kind, string destination, CancellationToken cancel)
    {
        string tar = ExternalTool.Find("tar") ?? throw new KpkException($"{tarball}: unpacking it needs tar (apt-get install tar)");
        string decompressor = kind == Compression.Xz ? "xz" : "bzip2";
        if (ExternalTool.Find(decompressor) == null)
            throw new KpkException($"{tarball}: unpacking it needs {decompressor} (apt-get install {(kind == Compression.Xz ? "xz-utils" : "bzip2")})");
        var run = ExternalTool.Run(tar, ["-x", kind == Compression.Xz ? "-J" : "-j", "-f", tarball, "--no-same-owner", "-C", destination],
            destination, cancel: cancel, killOnCancel: true);
        cancel.ThrowIfCancellationRequested();
        if (!run.Succeeded)
            throw new KpkException($"{tarball}: tar could not unpack it (exit {run.ExitCode}):\n{run.Output.TrimEnd()}");
    }

    private static void MakeFilesReadOnly(string root)
    {
        if (OperatingSystem.IsWindows()) return;
        const UnixFileMode writable = UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
        foreach (var file in new DirectoryInfo(root).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            if (file.LinkTarget == null && (file.UnixFileMode & writable) != 0)
                file.UnixFileMode &= ~writable;
    }

    /// <summary>Removes a tree we made, read-only files included (their directories stay writable).</summary>
    internal static void DeleteTree(string path)
    {
        if (!Path.Exists(path) && new FileInfo(path).LinkTarget == null) return;
        if (new DirectoryInfo(path).LinkTarget != null) { File.Delete(path); return; }
        Directory.Delete(path, recursive: true);
    }
}
