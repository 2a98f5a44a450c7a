using System.Text.Json;
using System.Text.Json.Serialization;
using Kpk.Core;

namespace Kpk.Build;

/// <summary>
/// The cache of original builds: <c>CACHE/builds/KEY/</c> holds the shadow tree (<c>src</c>), the
/// out-of-tree build (<c>obj</c>), its log and <c>entry.json</c>. One exclusive lock
/// (<c>CACHE/build.lock</c>, flock) serialises kernel builds on the machine and guards entries.
/// A run that changes an entry (patched sources, objects set aside) writes a journal first and
/// deletes it when everything is back, so a run killed half-way is undone by the next one.
/// </summary>
public sealed class BuildCache(string root)
{
    public string Root { get; } = root;

    public static string DefaultRoot()
    {
        string? env = Environment.GetEnvironmentVariable("KPK_CACHE");
        if (!string.IsNullOrEmpty(env)) return Path.GetFullPath(env);
        string home = Environment.GetEnvironmentVariable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".cache", "kpk");
    }

    /// <summary>Takes the build lock, waiting (and saying so) while another build holds it.</summary>
    public IDisposable Lock(IReporter reporter, CancellationToken cancel)
    {
        Directory.CreateDirectory(Root);
        string path = Path.Combine(Root, "build.lock");
        bool said = false;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                // FileShare.None takes flock(LOCK_EX) on Linux: the same lock as flock(1) on this file.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                if (!said) reporter.Info($"waiting for another build to finish (lock {path})");
                said = true;
                cancel.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));
            }
        }
    }

    public CacheEntry Entry(string key) => new(Path.Combine(Root, "builds", key));
}

/// <summary>What went into a cached build, kept for the user (and for `ls` of the cache).</summary>
public sealed record CacheEntryInfo
{
    public string Source { get; init; } = "";
    public string SourceFingerprint { get; init; } = "";
    public string ConfigSha256 { get; init; } = "";
    public string Compiler { get; init; } = "";
    public string KpkVersion { get; init; } = "";
    /// <summary>make targets the original build completed.</summary>
    public List<string> BuiltTargets { get; init; } = new();
    public Dictionary<string, int>? SpecialSizes { get; init; }
}

public sealed class CacheEntry(string directory)
{
    public string Directory { get; } = directory;
    public string SourceDir => Path.Combine(Directory, "src");
    public string ObjDir => Path.Combine(Directory, "obj");
    public string OotDir => Path.Combine(Directory, "oot");
    public string LogFile => Path.Combine(Directory, "original.log");
    private string InfoFile => Path.Combine(Directory, "entry.json");
    private string JournalFile => Path.Combine(Directory, "journal.json");

    public bool Exists => System.IO.Directory.Exists(SourceDir);

    public CacheEntryInfo? ReadInfo()
    {
        if (!File.Exists(InfoFile)) return null;
        try { return JsonSerializer.Deserialize(File.ReadAllText(InfoFile), CacheJsonContext.Default.CacheEntryInfo); }
        catch (JsonException) { return null; }
    }

    public void WriteInfo(CacheEntryInfo info) =>
        AtomicFile.WriteAllText(InfoFile, JsonSerializer.Serialize(info, CacheJsonContext.Default.CacheEntryInfo));

    /// <summary>What a patched build changed in the entry: source files broken out, objects set aside.</summary>
    public sealed record Journal
    {
        /// <summary>Root of the tree the files are relative to (the shadow, or the out-of-tree module's shadow).</summary>
        public string TreeRoot { get; init; } = "";
        public string TreeSource { get; init; } = "";
        public List<string> SourceFiles { get; init; } = new();
        /// <summary>Build products moved aside: (where it lives, where it was moved).</summary>
        public List<string[]> Aside { get; init; } = new();
    }

    public void WriteJournal(Journal journal) => AtomicFile.WriteAllText(JournalFile, JsonSerializer.Serialize(journal, CacheJsonContext.Default.Journal));

    public void ClearJournal() => File.Delete(JournalFile);

    /// <summary>
    /// Undoes what an interrupted run left (if anything): source files linked back to the user's,
    /// original build products moved back. Idempotent, so it can itself be interrupted.
    /// </summary>
    public bool RecoverIfNeeded(IReporter reporter)
    {
        if (!File.Exists(JournalFile)) return false;
        Journal? journal;
        try { journal = JsonSerializer.Deserialize(File.ReadAllText(JournalFile), CacheJsonContext.Default.Journal); }
        catch (JsonException) { journal = null; }
        if (journal == null)
        {
            // Unreadable journal: the entry can no longer be trusted; start it again.
            reporter.Warning($"the cached build {Directory} was left in an unknown state; discarding it");
            System.IO.Directory.Delete(Directory, recursive: true);
            return true;
        }
        reporter.Info($"restoring the cached build after an interrupted run ({Directory})");
        Undo(journal);
        ClearJournal();
        return true;
    }

    public static void Undo(Journal journal)
    {
        var tree = new ShadowTree(journal.TreeSource, journal.TreeRoot);
        foreach (var f in journal.SourceFiles) tree.Restore(f);
        foreach (var pair in journal.Aside)
        {
            string home = pair[0], aside = pair[1];
            // Already moved back when the aside copy is gone (the undo itself was interrupted).
            if (File.Exists(aside)) File.Move(aside, home, overwrite: true);
        }
    }
}

/// <summary>The cache's JSON files, generated at compile time (no reflection, so the native binary can read them).</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(CacheEntryInfo))]
[JsonSerializable(typeof(CacheEntry.Journal))]
internal sealed partial class CacheJsonContext : JsonSerializerContext;
