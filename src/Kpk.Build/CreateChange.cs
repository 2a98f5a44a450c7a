using System.Text;
using Kpk.Core;

namespace Kpk.Build;

/// <summary>The change a live patch makes: patch files (name in the archive, path), how patch(1) applies them, and the files they touch.</summary>
public sealed record ChangeSet(IReadOnlyList<(string Name, string Path)> Patches, IReadOnlyList<string> PatchOptions, IReadOnlyList<string> TouchedFiles)
{
    public static readonly ChangeSet None = new([], [], []);
}

/// <summary>
/// Stage 1 of <c>kpk create</c>: where the change comes from. Patch files are taken as they are;
/// <c>--diffext</c> and <c>--git</c> are turned into one patch in the work directory.
/// </summary>
public sealed class CreateChange(CreateRequest request, string work, IReporter reporter, Action<string> warn, CancellationToken cancel)
{
    public const string PreRef = "refs/kpk/pre";

    /// <summary>The tree the change is taken from (for --diffext and --git).</summary>
    private string Tree => request.KernelSource ?? throw new KpkException("--diffext and --git take the change from a source tree: give SRC");

    public ChangeSet Prepare()
    {
        List<(string, string)> patches = request.Change switch
        {
            ChangeKind.Patches => request.Patches.Select(p => (Path.GetFileName(p), Path.GetFullPath(p))).ToList(),
            ChangeKind.DiffExt => [("diffext.patch", DiffExtPatch())],
            ChangeKind.Git => [(ModuleNames.Sanitize(request.GitCommit!) + ".patch", GitPatch())],
            _ => [],
        };
        if (request.Change == ChangeKind.Prebuild && request.Series) ForgetOriginal();
        if (patches.Count == 0) return ChangeSet.None;
        var options = request.Change == ChangeKind.Patches ? Tool.Words(request.PatchOptions) : ["-p1"];
        int strip = UnifiedDiff.StripLevel(options);
        var touched = patches.SelectMany(p => UnifiedDiff.TouchedFiles(p.Item2, strip)).Distinct().Order(StringComparer.Ordinal).ToList();
        if (touched.Count == 0) throw new KpkException($"{patches[0].Item2}: names no file to change (is it a unified diff? with -p{strip}?)");
        return new ChangeSet(patches, options, touched);
    }

    /// <summary>
    /// --prebuild --series: the tree as it is now becomes the original (ksplice-create's "forget the
    /// previous original state"); in a git tree that moves the pre ref to HEAD. The build that follows
    /// builds that original, as --prebuild always does.
    /// </summary>
    private void ForgetOriginal()
    {
        string? src = request.KernelSource;
        string preRef = request.GitPreRef;
        if (src == null || !Directory.Exists(src)) return;
        if (!Tool.Run("git", ["-C", src, "rev-parse", "--git-dir"], null, cancel).Ok) return;
        if (!Tool.Run("git", ["-C", src, "rev-parse", "--verify", "-q", preRef], null, cancel).Ok) return;
        Tool.Check("git", ["-C", src, "update-ref", preRef, "HEAD"], null, cancel);
        reporter.Info($"{preRef} set to HEAD (--series: the tree's current state is the original)");
    }

    private string DiffExtPatch()
    {
        reporter.Stage($"collecting *.{request.DiffExt} files");
        string ext = "." + request.DiffExt;
        string root = Path.GetFullPath(Tree);
        var news = Directory.EnumerateFiles(root, "*" + ext, new EnumerationOptions { RecurseSubdirectories = true })
            .Select(f => Path.GetRelativePath(root, f))
            .Where(f => !f.StartsWith(".git/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        if (news.Count == 0) throw new KpkException($"--diffext {request.DiffExt}: no *{ext} file in {Tree}");
        var patch = new StringBuilder();
        foreach (var rel in news)
        {
            string old = rel[..^ext.Length];
            string oldPath = File.Exists(Path.Combine(root, old)) ? old : "/dev/null";
            var r = Tool.Run("diff", ["-u", "--label", "a/" + old, "--label", "b/" + old, oldPath, rel], root, cancel);
            if (r.ExitCode > 1) throw new KpkException($"diff {old} {rel} failed:\n{r.Output.TrimEnd()}");
            patch.Append(r.Output);
            reporter.Detail($"{rel} is the new {old}");
        }
        string file = Path.Combine(work, "diffext.patch");
        File.WriteAllText(file, patch.ToString());
        return file;
    }

    private string GitPatch()
    {
        string preRef = request.GitPreRef;
        string src = Tree;
        reporter.Stage($"taking the change {preRef}..{request.GitCommit} from git");
        if (Tool.Run("git", ["-C", src, "rev-parse", "--git-dir"], null, cancel) is { Ok: false } notGit)
            throw new KpkException($"--git: {src} is not a git work tree:\n{notGit.Output.TrimEnd()}");
        var commit = Tool.Run("git", ["-C", src, "rev-parse", "--verify", "-q", request.GitCommit! + "^{commit}"], null, cancel);
        if (!commit.Ok) throw new KpkException($"--git {request.GitCommit}: no such commit in {src}");
        bool hasPre = Tool.Run("git", ["-C", src, "rev-parse", "--verify", "-q", preRef], null, cancel).Ok;
        if (!hasPre || request.Series)
        {
            Tool.Check("git", ["-C", src, "update-ref", preRef, "HEAD"], null, cancel);
            reporter.Info($"{preRef} set to HEAD ({(request.Series ? "--series: the tree's current state is the original" : "it did not exist")})");
        }
        // The original build is the work tree; it should be what refs/kpk/pre names.
        if (!Tool.Run("git", ["-C", src, "diff", "--quiet", preRef, "--"], null, cancel).Ok)
            warn($"the work tree of {src} differs from {preRef}: the original is built from the work tree as it is");
        var diff = Tool.Run("git", ["-C", src, "diff", "--no-color", "--no-ext-diff", "--full-index", preRef, commit.Output.Trim(), "--"], null, cancel);
        if (!diff.Ok) throw new KpkException($"git diff {preRef} {request.GitCommit} failed:\n{diff.Output.TrimEnd()}");
        if (diff.Output.Length == 0) throw new KpkException($"no functional changes: {preRef} and {request.GitCommit} have the same tree", ExitCodes.NoChange);
        string file = Path.Combine(work, "git.patch");
        File.WriteAllText(file, diff.Output);
        return file;
    }
}
