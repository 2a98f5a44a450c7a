using System.Runtime.InteropServices;
using Kpk.Core;

namespace Kpk.Build;

/// <summary>
/// A hard-linked copy of the user's source tree, made once per cached build, in which kbuild
/// builds out of tree and patches are applied. The user's tree is never written: a file is
/// broken out of its link (copied to a new inode) before anything changes it, and linked back to
/// the user's file afterwards, so the shadow returns to exactly the original state (same inodes,
/// same times) and the cached objects stay up to date.
/// </summary>
public sealed partial class ShadowTree(string source, string root)
{
    public string Source { get; } = source;
    public string Root { get; } = root;

    /// <summary>
    /// In-tree build products that make kbuild refuse an out-of-tree build ("source tree is not
    /// clean"); the shadow leaves them out. The user's tree keeps them.
    /// </summary>
    private static readonly string[] InTreeProducts = [".config", "include/config", "include/generated", "arch/x86/include/generated", ".git"];

    public static ShadowTree Create(string source, string root, IEnumerable<string> excludedSuffixes, CancellationToken cancel)
    {
        string temp = root + ".partial";
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(Path.GetDirectoryName(root)!);
        var r = Tool.Run("cp", ["-al", "--", Path.GetFullPath(source), temp], null, cancel);
        if (!r.Ok) throw new KpkException($"cannot make a hard-linked shadow of {source} in {temp} (is the cache on the same file system as the source? set KPK_CACHE):\n{r.Output.TrimEnd()}");
        foreach (var rel in InTreeProducts)
        {
            string p = Path.Combine(temp, rel);
            if (Directory.Exists(p)) Directory.Delete(p, recursive: true);
            else if (File.Exists(p)) File.Delete(p);
        }
        var suffixes = excludedSuffixes.ToList();
        if (suffixes.Count > 0)
            foreach (var f in Directory.EnumerateFiles(temp, "*", SearchOption.AllDirectories))
                if (suffixes.Any(s => f.EndsWith(s, StringComparison.Ordinal))) File.Delete(f);
        Directory.Move(temp, root);
        return new ShadowTree(source, root);
    }

    /// <summary>Gives a shadow file its own inode (same content and mode), so changing it leaves the user's file alone.</summary>
    public void BreakLink(string relative)
    {
        string path = Path.Combine(Root, relative);
        if (!File.Exists(path)) return;
        string temp = path + ".kpk-break";
        File.Copy(path, temp, overwrite: true);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Puts a shadow file back as a link to the user's file (or removes it when the user has none).</summary>
    public void Restore(string relative)
    {
        string path = Path.Combine(Root, relative);
        string original = Path.Combine(Source, relative);
        if (File.Exists(path) || IsDanglingLink(path)) File.Delete(path);
        if (!File.Exists(original)) return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (Link(original, path) != 0)
            throw new KpkException($"cannot link {original} to {path} (errno {Marshal.GetLastPInvokeError()})");
    }

    /// <summary>Whether a shadow file is still the user's file (the same inode).</summary>
    public bool IsLinked(string relative)
    {
        string a = Path.Combine(Root, relative), b = Path.Combine(Source, relative);
        if (!File.Exists(a) || !File.Exists(b)) return !File.Exists(a) && !File.Exists(b);
        return Inode(a) == Inode(b);
    }

    private static bool IsDanglingLink(string path) => new FileInfo(path).LinkTarget != null;

    private static (ulong, ulong) Inode(string path)
    {
        var r = Tool.Run("stat", ["-c", "%d %i", path], null, CancellationToken.None);
        var parts = r.Output.Trim().Split(' ');
        return (ulong.Parse(parts[0]), ulong.Parse(parts[1]));
    }

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string oldPath, string newPath);
}
