using Kpk.Core;

namespace Kpk.Build;

/// <summary>Where the change applies and how objects are built there: the kernel shadow, or an out-of-tree module's.</summary>
public sealed record BuildTree(string Root, string Source, string ObjRoot, Func<IEnumerable<string>, string, ToolResult> MakeTargets);

/// <summary>
/// Stage 4 of <c>kpk create</c>: applies the change in the shadow, rebuilds the planned objects,
/// keeps copies of them, and puts the shadow and the build back exactly as they were (the
/// originals are set aside by rename and moved back; a journal lets the next run undo a killed
/// one). Returns object → patched copy.
/// </summary>
public sealed class PatchedBuild(CreateContext ctx)
{
    public Dictionary<string, string> Run(CacheEntry entry, BuildTree tree, ChangeSet change, Func<IReadOnlyList<string>, IReadOnlyList<string>> objectsFor)
    {
        var shadow = new ShadowTree(tree.Source, tree.Root);
        var journal = new CacheEntry.Journal { TreeRoot = tree.Root, TreeSource = Path.GetFullPath(tree.Source), SourceFiles = change.TouchedFiles.ToList() };
        entry.WriteJournal(journal);
        var patched = new Dictionary<string, string>(StringComparer.Ordinal);
        string aside = Path.Combine(entry.Directory, "aside");
        try
        {
            foreach (var f in change.TouchedFiles) shadow.BreakLink(f);
            foreach (var (name, path) in change.Patches)
            {
                ctx.Reporter.Stage($"applying {name}");
                var r = Tool.Run("patch", [.. change.PatchOptions, "--batch", "--forward", "--no-backup-if-mismatch", "--reject-file=-", "-d", tree.Root, "-i", path], null, ctx.Cancel);
                if (!r.Ok) throw new KpkException($"{name} does not apply to {tree.Source}:\n{r.Output.TrimEnd()}");
                ctx.Reporter.Detail(r.Output.TrimEnd(), VerbosityLevel.ToolOutput);
            }
            var changed = change.TouchedFiles.Where(f => !SameContent(Path.Combine(tree.Root, f), Path.Combine(tree.Source, f))).ToList();
            if (changed.Count == 0)
                throw new KpkException("no functional changes: the patch leaves every file as it was", ExitCodes.NoChange);
            var objects = objectsFor(changed);
            if (objects.Count == 0)
                throw new KpkException($"no functional changes: no object of this build is compiled from {string.Join(", ", changed)} (not built with this config?)",
                    ExitCodes.NoChange);
            ctx.Reporter.Info($"objects to rebuild: {string.Join(' ', objects)}");

            // The originals stay the cache's: set aside (rename keeps them intact), rebuilt, put back.
            if (Directory.Exists(aside)) Directory.Delete(aside, recursive: true);
            int n = 0;
            foreach (var o in objects)
                foreach (var file in new[] { o, Path.Combine(Path.GetDirectoryName(o)!, "." + Path.GetFileName(o) + ".cmd") })
                {
                    string home = Path.Combine(tree.ObjRoot, file);
                    if (File.Exists(home)) journal.Aside.Add([home, Path.Combine(aside, $"{n++}-{Path.GetFileName(file)}")]);
                }
            entry.WriteJournal(journal);
            Directory.CreateDirectory(aside);
            foreach (var pair in journal.Aside) File.Move(pair[0], pair[1]);

            string log = Path.Combine(ctx.Work, "patched-build.log");
            ctx.Reporter.Stage($"building the patched objects ({objects.Count}); log: {log}");
            var build = tree.MakeTargets(objects, log);
            if (!build.Ok) throw ctx.BuildFailure("building the patched objects", log, keepLog: true);
            foreach (var o in objects)
            {
                string built = Path.Combine(tree.ObjRoot, o);
                if (!File.Exists(built)) throw new KpkException($"the patched build did not produce {o}; see {log}");
                string copy = Path.Combine(ctx.Work, "patched", o);
                Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
                File.Move(built, copy);
                patched[o] = copy;
            }
        }
        finally
        {
            CacheEntry.Undo(journal);
            entry.ClearJournal();
            if (Directory.Exists(aside)) CreateContext.TryDelete(aside);
        }
        return patched;
    }

    public static bool SameContent(string a, string b)
    {
        bool ea = File.Exists(a), eb = File.Exists(b);
        if (ea != eb) return false;
        if (!ea) return true;
        return File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b));
    }
}
