using Kpk.Core;

namespace Kpk.Series.Apply;

/// <summary>
/// SUSE's source RPM ships the patch directories as archives beside series.conf
/// (<c>patches.suse.tar.bz2</c> holding <c>patches.suse/…</c>, and so on, plus <c>config.addon.tar.bz2</c>),
/// where a kernel-source checkout has plain directories. When the series' directory has such archives,
/// the patch root becomes <c>SCRATCH/patches</c>: every archive unpacked and every plain
/// <c>patches.*</c> directory hard-linked, made afresh in a work directory and renamed into place.
/// </summary>
public static class PatchArchives
{
    public const string UnpackedName = "patches", StampFile = ".kpk-patch-archives";

    /// <summary>The archives kpk unpacks from a series' directory, sorted by name.</summary>
    public static IReadOnlyList<string> Find(string seriesDir) =>
        Directory.EnumerateFiles(seriesDir, "*.tar.bz2")
            .Where(f => Path.GetFileName(f) is var n && (n.StartsWith("patches.", StringComparison.Ordinal) || n == "config.addon.tar.bz2"))
            .Order(StringComparer.Ordinal).ToList();

    /// <summary>The directory patch names are relative to: the series' own, or the unpacked copy when it has archives.</summary>
    public static string Prepare(string seriesDir, string scratch, IReporter reporter, CancellationToken cancel)
    {
        var archives = Find(seriesDir);
        if (archives.Count == 0) return seriesDir;
        string target = Path.Combine(scratch, UnpackedName);
        if (Path.Exists(target) && !File.Exists(Path.Combine(target, StampFile)))
            throw new KpkException($"{target} exists and was not made by series apply; remove it or choose another --dir");
        // What the copy was made from: each archive's name, size and time. An unchanged set is reused.
        string stamp = string.Concat(archives.Select(a => new FileInfo(a)).Select(f => $"{f.FullName}\t{f.Length}\t{f.LastWriteTimeUtc.Ticks}\n"))
                       + string.Concat(PlainDirectories(seriesDir).Select(d => d + "\n"));
        if (File.Exists(Path.Combine(target, StampFile)) && File.ReadAllText(Path.Combine(target, StampFile)) == stamp)
        {
            reporter.Info($"patch archives unchanged; using {target}");
            return target;
        }
        string work = Path.Combine(scratch, $".kpk-patches-{Environment.ProcessId}");
        ScratchArea.RemoveStale(scratch, ".kpk-patches");
        if (Directory.Exists(work)) VanillaSource.DeleteTree(work);
        Directory.CreateDirectory(work);
        try
        {
            foreach (string archive in archives)
            {
                reporter.Stage($"unpacking {archive}");
                VanillaSource.UnpackBzip2(archive, work, cancel);
                cancel.ThrowIfCancellationRequested();
            }
            foreach (string dir in PlainDirectories(seriesDir))
            {
                string into = Path.Combine(work, Path.GetFileName(dir));
                if (Directory.Exists(into))
                    throw new KpkException($"{seriesDir}: {Path.GetFileName(dir)}/ is there both as a directory and in an archive; keep one");
                HardLinkTree.Create(dir, into, cancel);
            }
            foreach (string file in Directory.EnumerateFiles(seriesDir).Where(f => !f.EndsWith(".tar.bz2", StringComparison.Ordinal)))
                File.Copy(file, Path.Combine(work, Path.GetFileName(file)), overwrite: true); // series.conf and what else lies beside it
            File.WriteAllText(Path.Combine(work, StampFile), stamp);
            if (Directory.Exists(target)) VanillaSource.DeleteTree(target);
            Directory.Move(work, target);
        }
        catch (OperationCanceledException)
        {
            throw new KpkException("interrupted while unpacking the patch archives; the unfinished copy was removed", ExitCodes.Interrupted);
        }
        finally
        {
            if (Directory.Exists(work)) VanillaSource.DeleteTree(work);
        }
        return target;
    }

    private static IEnumerable<string> PlainDirectories(string seriesDir) =>
        Directory.EnumerateDirectories(seriesDir, "patches.*").Order(StringComparer.Ordinal);
}
