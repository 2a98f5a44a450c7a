using Kpk.Core;

namespace Kpk.Series.Apply;

/// <summary>
/// The quilt bookkeeping of a patched tree, in quilt's own format (database version 2), so that
/// <c>quilt push</c>, <c>pop</c>, <c>applied</c> and <c>next</c> work in it:
/// <list type="bullet">
/// <item><c>series</c>: the patch names in order, after a comment naming the symbols</item>
/// <item><c>patches</c>: a symbolic link to the directory the names are relative to</item>
/// <item><c>.pc/.version</c> (2), <c>.pc/.quilt_patches</c>, <c>.pc/.quilt_series</c></item>
/// <item><c>.pc/applied-patches</c>: one line per applied patch, appended as each one lands</item>
/// <item><c>.pc/NAME/</c>: the files as they were before NAME, plus <c>.timestamp</c></item>
/// </list>
/// </summary>
internal sealed class QuiltState
{
    public const string Pc = ".pc", SeriesFile = "series", PatchesLink = "patches";

    private readonly string _tree;

    private QuiltState(string tree) => _tree = tree;

    public string AppliedPatchesPath => Path.Combine(_tree, Pc, "applied-patches");

    /// <summary>Backup directory prefix for patch's --prefix, relative to the tree.</summary>
    public static string BackupPrefix(string patch) => $"{Pc}/{patch}/";

    public string BackupDirectory(string patch) => Path.Combine(_tree, Pc, patch);

    /// <summary>Writes the series, the patches link and an empty database into a freshly linked tree.</summary>
    public static QuiltState Create(string tree, string patchDirectory, IReadOnlyCollection<string> symbols, IEnumerable<string> seriesPatches)
    {
        foreach (string name in new[] { Pc, SeriesFile, PatchesLink })
            if (Path.Exists(Path.Combine(tree, name)) || new FileInfo(Path.Combine(tree, name)).LinkTarget != null)
                throw new KpkException($"the vanilla tree already has '{name}' (a quilt tree?); series apply needs a pristine tree");
        var text = new System.Text.StringBuilder();
        text.Append("# Symbols: ").AppendJoin(' ', symbols).Append("\n#\n");
        foreach (string p in seriesPatches) text.Append(p).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(tree, SeriesFile), text.ToString());
        File.CreateSymbolicLink(Path.Combine(tree, PatchesLink), patchDirectory);
        string pc = Path.Combine(tree, Pc);
        Directory.CreateDirectory(pc);
        File.WriteAllText(Path.Combine(pc, ".version"), "2\n");
        File.WriteAllText(Path.Combine(pc, ".quilt_patches"), PatchesLink + "\n");
        File.WriteAllText(Path.Combine(pc, ".quilt_series"), SeriesFile + "\n");
        File.WriteAllText(Path.Combine(pc, "applied-patches"), "");
        return new QuiltState(tree);
    }

    /// <summary>
    /// Records a patch as applied: its backup directory gets quilt's <c>.timestamp</c> and its name
    /// is appended to the database in one write. (Quilt also stamps the backups' times; we do not,
    /// because a backup may be a hard link to the vanilla tree, whose files we never touch.)
    /// </summary>
    public void MarkApplied(string patch)
    {
        string backup = BackupDirectory(patch);
        Directory.CreateDirectory(backup);
        File.WriteAllBytes(Path.Combine(backup, ".timestamp"), []);
        using var db = new FileStream(AppliedPatchesPath, FileMode.Append, FileAccess.Write);
        db.Write(System.Text.Encoding.UTF8.GetBytes(patch + "\n"));
    }

    /// <summary>
    /// Undoes a patch that failed half-way: each file patch backed up goes back (a non-empty backup
    /// is moved back into place; an empty one means the patch created the file, which is removed,
    /// with any directories that became empty and are not in the vanilla tree). Then the backup
    /// directory goes. Nothing is written into existing files, so hard links stay intact.
    /// </summary>
    public void RollBack(string patch, string vanillaRoot)
    {
        string backup = BackupDirectory(patch);
        if (!Directory.Exists(backup)) return;
        foreach (string saved in Directory.GetFiles(backup, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            string relative = Path.GetRelativePath(backup, saved);
            if (relative == ".timestamp") continue;
            string target = Path.Combine(_tree, relative);
            if (File.Exists(target) || new FileInfo(target).LinkTarget != null) File.Delete(target);
            if (new FileInfo(saved).Length == 0)
            {
                RemoveEmptyDirectories(Path.GetDirectoryName(target)!, _tree, keep: dir => Directory.Exists(Path.Combine(vanillaRoot, Path.GetRelativePath(_tree, dir))));
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Move(saved, target);
        }
        Directory.Delete(backup, recursive: true);
        // .pc/patches.suse/ stays behind when patches.suse/x.patch was the only patch there; quilt would not mind, but tidy up.
        RemoveEmptyDirectories(Path.GetDirectoryName(backup)!, Path.Combine(_tree, Pc), keep: _ => false);
    }

    /// <summary>Removes DIR and its parents while they are empty, stopping at STOP (kept) or at a directory KEEP says to keep.</summary>
    private static void RemoveEmptyDirectories(string dir, string stop, Func<string, bool> keep)
    {
        string limit = Path.TrimEndingDirectorySeparator(stop);
        for (string? d = dir; d != null && d.Length > limit.Length && d.StartsWith(limit + "/", StringComparison.Ordinal); d = Path.GetDirectoryName(d))
        {
            if (Directory.EnumerateFileSystemEntries(d).Any() || keep(d)) return;
            Directory.Delete(d);
        }
    }
}
