using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Kpk.Build;

/// <summary>
/// The source files that include a header, directly or through other headers, read from the
/// tree's <c>#include</c> lines: what a header change can affect before anything is compiled.
/// Resolution follows the kernel's include path (the including file's directory for quoted
/// names, then include/, arch/ARCH/include/ and their uapi/); a name found on neither is taken
/// to be any file whose path ends in it, so the answer errs towards too many files, which
/// compiling them and reading the dependency records then trims. Includes spelled through a
/// macro (<c>#include TRACE_INCLUDE(...)</c>) are not seen.
/// </summary>
public static partial class IncludeScan
{
    private static readonly string[] SkippedTop = ["Documentation", "tools", "LICENSES", ".git", "debian", "usr"];

    public static IReadOnlyList<string> SourcesIncluding(string root, IReadOnlyCollection<string> headers, string arch, CancellationToken cancel)
    {
        var files = new List<string>();
        foreach (var path in Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true }))
        {
            string rel = Path.GetRelativePath(root, path);
            int slash = rel.IndexOf('/');
            if (slash > 0 && SkippedTop.Contains(rel[..slash])) continue;
            if (rel.EndsWith(".c", StringComparison.Ordinal) || rel.EndsWith(".h", StringComparison.Ordinal) || rel.EndsWith(".S", StringComparison.Ordinal))
                files.Add(rel);
        }
        var known = files.ToHashSet(StringComparer.Ordinal);
        var byFileName = files.ToLookup(f => Path.GetFileName(f), StringComparer.Ordinal);
        string[] roots = ["include", $"arch/{arch}/include", "include/uapi", $"arch/{arch}/include/uapi"];

        // includedBy[header] = the files whose #include lines lead to it.
        var includedBy = new ConcurrentDictionary<string, ConcurrentBag<string>>(StringComparer.Ordinal);
        Parallel.ForEach(files, new ParallelOptions { CancellationToken = cancel }, file =>
        {
            string text;
            try { text = File.ReadAllText(Path.Combine(root, file)); }
            catch (IOException) { return; }
            if (!text.Contains("include", StringComparison.Ordinal)) return;
            string dir = Path.GetDirectoryName(file) ?? "";
            foreach (Match m in IncludeLine().Matches(text))
            {
                string name = m.Groups["name"].Value;
                foreach (var target in Resolve(name, m.Groups["open"].Value == "\"", dir, roots, known, byFileName))
                    includedBy.GetOrAdd(target, _ => new ConcurrentBag<string>()).Add(file);
            }
        });

        var seen = new HashSet<string>(headers, StringComparer.Ordinal);
        var queue = new Queue<string>(headers);
        var sources = new SortedSet<string>(StringComparer.Ordinal);
        while (queue.Count > 0)
        {
            string h = queue.Dequeue();
            if (!includedBy.TryGetValue(h, out var users)) continue;
            foreach (var u in users)
            {
                if (!seen.Add(u)) continue;
                if (!u.EndsWith(".h", StringComparison.Ordinal)) sources.Add(u);
                queue.Enqueue(u); // a .c can itself be included by another .c
            }
        }
        return sources.ToList();
    }

    private static IEnumerable<string> Resolve(string name, bool quoted, string dir, string[] roots, HashSet<string> known, ILookup<string, string> byFileName)
    {
        if (quoted)
        {
            string local = Normalize(dir.Length == 0 ? name : dir + "/" + name);
            if (local.Length > 0 && known.Contains(local)) return [local];
        }
        foreach (var r in roots)
        {
            string candidate = Normalize(r + "/" + name);
            if (known.Contains(candidate)) return [candidate];
        }
        // Another -I directory (a driver's ccflags): every file of that name whose path ends in it.
        string fileName = Path.GetFileName(name);
        string tail = "/" + name.TrimStart('.', '/');
        return byFileName[fileName].Where(f => ("/" + f).EndsWith(tail, StringComparison.Ordinal)).ToList();
    }

    /// <summary>a/b/../c.h → a/c.h; empty when the name leaves the tree.</summary>
    private static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var p in path.Split('/'))
        {
            if (p.Length == 0 || p == ".") continue;
            if (p == "..") { if (parts.Count == 0) return ""; parts.RemoveAt(parts.Count - 1); }
            else parts.Add(p);
        }
        return string.Join('/', parts);
    }

    [GeneratedRegex(@"^[ \t]*#[ \t]*include[ \t]*(?<open>[<""])(?<name>[^>""\n]+)[>""]", RegexOptions.Multiline)]
    private static partial Regex IncludeLine();
}
