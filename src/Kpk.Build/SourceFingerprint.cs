using System.Security.Cryptography;
using System.Text;

namespace Kpk.Build;

/// <summary>
/// The identity of a source tree for the build cache: every file's path, size and modification
/// time, hashed. Reading the contents of a whole kernel tree would take longer than the build it
/// saves; any edit (in place or by replacing the file) changes the time. .git and in-tree build
/// products do not take part, nor the files --diffext marks as new versions.
/// </summary>
public static class SourceFingerprint
{
    private static readonly HashSet<string> SkippedTopLevel = new(StringComparer.Ordinal) { ".git", ".config", ".config.old" };

    public static string Compute(string root, IReadOnlyCollection<string> excludedSuffixes, CancellationToken cancel)
    {
        var entries = new List<string>();
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false };
        string full = Path.GetFullPath(root);
        foreach (var info in new DirectoryInfo(full).EnumerateFileSystemInfos("*", options))
        {
            cancel.ThrowIfCancellationRequested();
            if (info is DirectoryInfo) continue;
            string rel = Path.GetRelativePath(full, info.FullName);
            int slash = rel.IndexOf('/');
            string top = slash < 0 ? rel : rel[..slash];
            if (SkippedTopLevel.Contains(top)) continue;
            if (rel.StartsWith("include/config/", StringComparison.Ordinal) || rel.StartsWith("include/generated/", StringComparison.Ordinal)) continue;
            if (excludedSuffixes.Any(s => rel.EndsWith(s, StringComparison.Ordinal))) continue;
            var f = (FileInfo)info;
            entries.Add($"{rel}\0{f.Length}\0{f.LastWriteTimeUtc.Ticks}");
        }
        entries.Sort(StringComparer.Ordinal);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var e in entries) sha.AppendData(Encoding.UTF8.GetBytes(e + "\n"));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    public static string Hash(params string[] parts)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var p in parts) sha.AppendData(Encoding.UTF8.GetBytes(p + "\n"));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    public static string HashFile(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
