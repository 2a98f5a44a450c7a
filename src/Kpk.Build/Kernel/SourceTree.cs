using Kpk.Core;

namespace Kpk.Build;

/// <summary>
/// A kernel source tree from what the user has: a directory is used as it is; a tarball
/// (linux-source-6.1.tar.xz) is unpacked once into the cache, keyed by its path, size and time,
/// and its one top directory is the tree. The tarball itself is never written.
/// </summary>
public static class SourceTree
{
    public static string Resolve(string path, string cacheRoot, IReporter reporter, CancellationToken cancel)
    {
        if (Directory.Exists(path))
        {
            if (!File.Exists(Path.Combine(path, "Makefile"))) throw new KpkException($"{path}: not a kernel source tree (no Makefile)");
            return Path.GetFullPath(path);
        }
        if (!File.Exists(path)) throw new KpkException($"{path}: no such kernel source directory or tarball");
        if (!IsTarball(path)) throw new KpkException($"{path}: neither a directory nor a tarball (.tar, .tar.xz, .tar.gz, .tar.bz2)");
        var info = new FileInfo(path);
        string key = SourceFingerprint.Hash(info.FullName, info.Length.ToString(), info.LastWriteTimeUtc.Ticks.ToString())[..12];
        string name = Path.GetFileName(path);
        name = name[..name.IndexOf(".tar", StringComparison.Ordinal)];
        string target = Path.Combine(cacheRoot, "sources", $"{name}-{key}");
        string done = Path.Combine(target, ".kpk-unpacked");
        if (!File.Exists(done))
        {
            reporter.Stage($"unpacking {path} into {target}");
            string partial = target + ".partial";
            if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
            Directory.CreateDirectory(partial);
            var r = Tool.Run("tar", ["-xf", info.FullName, "-C", partial], null, cancel);
            if (!r.Ok) throw new KpkException($"cannot unpack {path}:\n{r.Output.TrimEnd()}");
            File.WriteAllText(Path.Combine(partial, ".kpk-unpacked"), info.FullName + "\n");
            Directory.Move(partial, target);
        }
        var tops = Directory.GetDirectories(target);
        if (tops.Length != 1 || !File.Exists(Path.Combine(tops[0], "Makefile")))
            throw new KpkException($"{path}: expected one top directory holding a kernel tree (Makefile)");
        return tops[0];
    }

    public static bool IsTarball(string path) =>
        new[] { ".tar", ".tar.xz", ".tar.gz", ".tgz", ".tar.bz2", ".tar.zst" }.Any(s => path.EndsWith(s, StringComparison.Ordinal));
}
