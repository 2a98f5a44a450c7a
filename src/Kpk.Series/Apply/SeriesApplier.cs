using System.Text;
using Kpk.Core;

namespace Kpk.Series.Apply;

/// <summary>
/// <c>kpk series apply</c>: builds the patched tree the way SUSE's sequence-patch does. The
/// vanilla tree is hard-linked into a new tree, then the selected patches are applied one by one
/// with GNU patch, each with backups under <c>.pc/NAME/</c>, so a patch that fails is rolled back
/// and the tree stays at the last patch that applied. The tree carries quilt's bookkeeping
/// (<see cref="QuiltState"/>), so <c>quilt push</c> continues where the run stopped.
/// <para>
/// The tree is built under a temporary name in the scratch directory and renamed into place at
/// a patch boundary only: after the last patch, after a failure (rolled back) or after Ctrl-C
/// (the patch running then finishes or is rolled back). Ctrl-C while unpacking or linking, or in
/// <c>--fast</c> mode, removes the unfinished tree instead. The vanilla tree is only ever read.
/// </para>
/// </summary>
public sealed class SeriesApplier(ISeriesSelector selector, IReporter reporter)
{
    public SeriesApplyResult Apply(SeriesApplyOptions options, CancellationToken cancel)
    {
        if (options.Fuzz < 0) throw new KpkException($"--fuzz {options.Fuzz}: the fuzz factor cannot be negative");
        string seriesPath = Path.GetFullPath(options.Series);
        if (!File.Exists(seriesPath)) throw new KpkException($"{options.Series}: no such series file");
        string seriesDir = Path.GetDirectoryName(seriesPath)!;
        var selected = selector.Select(seriesPath, options.Symbols);
        int last = ResolveUpTo(options.UpTo, selected);
        var patch = GnuPatch.Find(options.Fuzz);

        string scratch = Path.GetFullPath(options.ScratchDirectory);
        CheckNotInside(scratch, Path.GetFullPath(options.Vanilla)); // before anything is created there
        if (PatchArchives.Find(seriesDir).Count == 0) ResolvePatchFiles(selected, seriesDir); // a missing patch stops the run before anything is made
        Directory.CreateDirectory(scratch);
        string patchRoot = PatchArchives.Prepare(seriesDir, scratch, reporter, cancel);
        var files = ResolvePatchFiles(selected, patchRoot);
        ScratchArea.RemoveStale(scratch, ".kpk-unpack");
        var vanilla = VanillaSource.Prepare(options.Vanilla, scratch, reporter, cancel);

        string treeName = vanilla.Name + "-patched" + string.Concat(options.Symbols.Select(s => "-" + s.Replace('/', '_')));
        string tree = Path.Combine(scratch, treeName);
        CheckTreeLocation(tree, vanilla.Root);
        string log = Path.Combine(scratch, $"patch-{treeName}.log");
        string work = Path.Combine(scratch, $".kpk-tmp-{treeName}-{Environment.ProcessId}");
        ScratchArea.RemoveStale(scratch, $".kpk-tmp-{treeName}");
        if (Directory.Exists(work)) VanillaSource.DeleteTree(work);

        reporter.Stage($"linking {vanilla.Root} into {tree}");
        try
        {
            int copied = HardLinkTree.Create(vanilla.Root, work, cancel);
            if (copied > 0) reporter.Warning($"{copied} files could not be hard-linked (another file system?) and were copied");
        }
        catch (Exception e)
        {
            VanillaSource.DeleteTree(work);
            if (e is OperationCanceledException)
                throw new KpkException("interrupted while linking the vanilla tree; the unfinished tree was removed", ExitCodes.Interrupted);
            throw;
        }

        var toApply = selected.Take(last + 1).ToList();
        var remaining = selected.Skip(last + 1).Select(p => p.Name).ToList();
        QuiltState quilt;
        try
        {
            quilt = QuiltState.Create(work, patchRoot, options.Symbols, options.Fast ? remaining : selected.Select(p => p.Name));
        }
        catch
        {
            VanillaSource.DeleteTree(work);
            throw;
        }

        using var logWriter = new StreamWriter(log, append: false, new UTF8Encoding(false));
        var runner = new Run(patch, quilt, work, vanilla.Root, scratch, logWriter, reporter);
        if (options.Fast)
        {
            runner.ApplyFast(toApply, files, cancel, log);
            Publish(work, tree);
            reporter.Info($"[ Tree: {tree} ]");
            return new SeriesApplyResult(tree, log, selected.Count, toApply.Count, toApply.LastOrDefault()?.Name, remaining);
        }

        EachOutcome outcome;
        try { outcome = runner.ApplyEach(toApply, files, cancel); }
        catch
        {
            // Something other than a patch failing (a patch file that cannot be decompressed, a
            // disk error): the tree's state is not known to be a patch boundary, so it goes.
            VanillaSource.DeleteTree(work);
            throw;
        }
        Publish(work, tree);
        reporter.Info($"[ Tree: {tree} ]");
        string after = outcome.Applied == 0 ? "the vanilla tree" : toApply[outcome.Applied - 1].Name;
        switch (outcome.Kind)
        {
            case Outcome.Interrupted:
                throw new KpkException(
                    $"interrupted after {outcome.Applied}/{toApply.Count} patches: the tree {tree} stays at {after}" +
                    $"{(outcome.Failure != null ? $" ({toApply[outcome.Applied].Name}, which was running, was rolled back)" : "")}; " +
                    $"quilt push continues there\nlog: {log}", ExitCodes.Interrupted);
            case Outcome.Failed:
                var failed = toApply[outcome.Applied];
                var message = new StringBuilder();
                message.Append($"patch {failed.Name} ({failed.Location}) does not apply; rolled back: ");
                message.Append($"the tree stays at {after} ({outcome.Applied}/{toApply.Count} applied)\n");
                foreach (string line in outcome.Failure!.Output.TrimEnd().Split('\n')) message.Append("  ").Append(line).Append('\n');
                if (outcome.Rejects != null) message.Append($"rejects: {outcome.Rejects}\n");
                message.Append($"log: {log}\n");
                message.Append($"tree: {tree} (quilt push continues with {failed.Name})");
                throw new KpkException(message.ToString());
        }
        return new SeriesApplyResult(tree, log, selected.Count, outcome.Applied, toApply.LastOrDefault()?.Name, remaining);
    }

    /// <summary>Every selected patch must be a readable file named relative to the series' directory, and listed once.</summary>
    private static List<string> ResolvePatchFiles(IReadOnlyList<SeriesPatch> patches, string root)
    {
        var files = new List<string>(patches.Count);
        var first = new Dictionary<string, SeriesPatch>(StringComparer.Ordinal);
        foreach (var p in patches)
        {
            if (Path.IsPathRooted(p.Name) || p.Name.Split('/').Contains(".."))
                throw new KpkException($"{p.Location}: patch name {p.Name} must be relative to {root} without '..'");
            if (first.TryGetValue(p.Name, out var earlier))
                throw new KpkException($"{p.Location}: patch {p.Name} is selected twice (also at line {earlier.Line}); quilt cannot apply a patch twice");
            first[p.Name] = p;
            string file = Path.Combine(root, p.Name);
            if (!File.Exists(file))
                throw new KpkException($"{p.Location}: patch {p.Name} not found ({file})");
            try { using var _ = File.OpenRead(file); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new KpkException($"{p.Location}: patch {p.Name} cannot be read: {e.Message}");
            }
            files.Add(file);
        }
        return files;
    }

    /// <summary>The index of the last patch to apply: --upto's patch, matched by its whole name or by the part after a slash (as sequence-patch matches).</summary>
    private static int ResolveUpTo(string? upTo, IReadOnlyList<SeriesPatch> patches)
    {
        if (upTo == null) return patches.Count - 1;
        for (int i = 0; i < patches.Count; i++)
            if (patches[i].Name == upTo || patches[i].Name.EndsWith("/" + upTo, StringComparison.Ordinal))
                return i;
        throw new KpkException($"--upto {upTo}: no such patch among the {patches.Count} the series selects");
    }

    private static void CheckNotInside(string scratch, string vanilla)
    {
        if (IsSameOrInside(scratch, vanilla))
            throw new KpkException($"the scratch directory {scratch} is inside the vanilla tree {vanilla}; choose another --dir");
    }

    /// <summary>The tree is removed and replaced: it must not be the vanilla tree, hold it, or be something else the user keeps there.</summary>
    private static void CheckTreeLocation(string tree, string vanillaRoot)
    {
        if (IsSameOrInside(vanillaRoot, tree))
            throw new KpkException($"the patched tree {tree} would replace the vanilla tree {vanillaRoot}; choose another --dir");
        if (Path.Exists(tree) && !(Directory.Exists(Path.Combine(tree, QuiltState.Pc)) && File.Exists(Path.Combine(tree, QuiltState.SeriesFile))))
            throw new KpkException($"{tree} exists and is not a tree made by series apply; remove it or choose another --dir");
    }

    private static bool IsSameOrInside(string path, string dir)
    {
        string d = Path.TrimEndingDirectorySeparator(dir), p = Path.TrimEndingDirectorySeparator(path);
        return p == d || p.StartsWith(d + "/", StringComparison.Ordinal);
    }

    /// <summary>Puts the finished tree (at a patch boundary) in place of an earlier one, and points <c>current</c> at it.</summary>
    private static void Publish(string work, string tree)
    {
        if (Directory.Exists(tree)) VanillaSource.DeleteTree(tree);
        Directory.Move(work, tree);
        string scratch = Path.GetDirectoryName(tree)!;
        string current = Path.Combine(scratch, "current");
        if (Directory.Exists(current) && new DirectoryInfo(current).LinkTarget == null) return; // a directory of the user's: leave it
        string temp = Path.Combine(scratch, $".current.kpk-{Environment.ProcessId}");
        if (new FileInfo(temp).LinkTarget != null || File.Exists(temp)) File.Delete(temp);
        File.CreateSymbolicLink(temp, Path.GetFileName(tree));
        Posix.Rename(temp, current);
    }

    private enum Outcome { Done, Failed, Interrupted }

    private sealed record EachOutcome(Outcome Kind, int Applied, ToolRun? Failure = null, string? Rejects = null);

    /// <summary>One run's patching: the patch tool, the tree being built and the log.</summary>
    private sealed class Run(GnuPatch patch, QuiltState quilt, string work, string vanillaRoot, string scratch, StreamWriter log, IReporter reporter)
    {
        private readonly string _rejects = Path.Combine(scratch, $".kpk-rejects-{Environment.ProcessId}");

        public EachOutcome ApplyEach(List<SeriesPatch> patches, List<string> files, CancellationToken cancel)
        {
            for (int i = 0; i < patches.Count; i++)
            {
                if (cancel.IsCancellationRequested) return new EachOutcome(Outcome.Interrupted, i);
                string name = patches[i].Name;
                reporter.Info($"patch {i + 1}/{patches.Count} {name}");
                ToolRun result = new FileInfo(files[i]).Length == 0
                    ? new ToolRun(0, "") // quilt applies an empty patch as a no-op; patch would call it garbage
                    : patch.ApplyWithBackup(work, files[i], QuiltState.BackupPrefix(name), _rejects);
                if (result.Succeeded)
                {
                    Log(name, result.Output);
                    quilt.MarkApplied(name);
                    DeleteRejects();
                    if (result.Output.Length > 0) reporter.Detail(result.Output.TrimEnd());
                    continue;
                }
                quilt.RollBack(name, vanillaRoot);
                // Ctrl-C in a terminal reaches patch too; its failure is then the interruption, not the patch's fault.
                if (cancel.IsCancellationRequested)
                {
                    Log(name, result.Output + "[ interrupted; rolled back ]\n");
                    DeleteRejects();
                    return new EachOutcome(Outcome.Interrupted, i, result);
                }
                string? rejects = KeepRejects(name);
                if (rejects != null) result = result with { Output = result.Output.Replace(_rejects, rejects) };
                Log(name, result.Output + "[ failed; rolled back ]\n");
                return new EachOutcome(Outcome.Failed, i, result, rejects);
            }
            return new EachOutcome(Outcome.Done, patches.Count);
        }

        /// <summary>
        /// --fast: all patches through one patch run, no backups. A failure cannot be rolled back,
        /// so the unfinished tree is removed (sequence-patch leaves it half-patched; we never do).
        /// </summary>
        public void ApplyFast(List<SeriesPatch> patches, List<string> files, CancellationToken cancel, string logPath)
        {
            reporter.Info($"fast-applying {patches.Count} patches in one pass (no per-patch backups)");
            var result = patch.ApplyAll(work, files.Take(patches.Count).ToList(), _rejects, cancel);
            Log($"{patches.Count} patches in one pass", result.Output);
            if (result.Succeeded && !cancel.IsCancellationRequested)
            {
                DeleteRejects();
                return;
            }
            log.Flush();
            VanillaSource.DeleteTree(work);
            DeleteRejects();
            if (cancel.IsCancellationRequested)
                throw new KpkException("interrupted during the fast pass; the unfinished tree was removed", ExitCodes.Interrupted);
            var message = new StringBuilder("the fast pass failed (no per-patch backups, so the unfinished tree was removed; run without --fast to find the patch):\n");
            foreach (string line in result.Output.TrimEnd().Split('\n').TakeLast(40)) message.Append("  ").Append(line).Append('\n');
            message.Append($"log: {logPath}");
            throw new KpkException(message.ToString());
        }

        private void Log(string title, string output)
        {
            log.Write($"[ {title} ]\n");
            log.Write(output);
            if (output.Length > 0 && !output.EndsWith('\n')) log.Write('\n');
            log.Flush();
        }

        private string? KeepRejects(string patchName)
        {
            if (!File.Exists(_rejects)) return null;
            if (new FileInfo(_rejects).Length == 0) { DeleteRejects(); return null; }
            string kept = Path.Combine(scratch, Path.GetFileName(patchName) + ".rej");
            File.Move(_rejects, kept, overwrite: true);
            return kept;
        }

        private void DeleteRejects()
        {
            if (File.Exists(_rejects)) File.Delete(_rejects);
        }
    }
}
