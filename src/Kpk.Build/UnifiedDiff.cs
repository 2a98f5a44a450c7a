using Kpk.Core;

namespace Kpk.Build;

/// <summary>
/// What a patch touches, read from its headers: the files named on <c>---</c>/<c>+++</c> lines
/// (and git's rename/copy lines), with the leading components that patch's <c>-pN</c> strips
/// removed. kpk breaks exactly these files out of the hard-linked shadow before patch writes them.
/// </summary>
public static class UnifiedDiff
{
    public static IReadOnlyList<string> TouchedFiles(string patchFile, int strip)
    {
        var files = new SortedSet<string>(StringComparer.Ordinal);
        int lineNo = 0;
        foreach (var line in File.ReadLines(patchFile))
        {
            lineNo++;
            string? path = null;
            if (line.StartsWith("--- ", StringComparison.Ordinal) || line.StartsWith("+++ ", StringComparison.Ordinal))
                path = HeaderPath(line.AsSpan(4));
            else if (line.StartsWith("rename from ", StringComparison.Ordinal) || line.StartsWith("copy from ", StringComparison.Ordinal)
                     || line.StartsWith("rename to ", StringComparison.Ordinal) || line.StartsWith("copy to ", StringComparison.Ordinal))
            {
                // git's rename lines carry no a/ b/ prefix: patch strips nothing from them.
                string p = line[(line.IndexOf(' ', line.IndexOf(' ') + 1) + 1)..];
                AddChecked(files, p, patchFile, lineNo);
                continue;
            }
            if (path == null || path == "/dev/null") continue;
            string? stripped = Strip(path, strip);
            if (stripped == null) continue; // fewer components than -p strips: patch would skip it too
            AddChecked(files, stripped, patchFile, lineNo);
        }
        return files.ToList();
    }

    private static void AddChecked(SortedSet<string> files, string path, string patchFile, int lineNo)
    {
        // A patch must stay inside the tree it is applied to.
        if (Path.IsPathRooted(path) || path.Split('/').Any(part => part == ".."))
            throw new KpkException($"{patchFile}:{lineNo}: the patch names '{path}', outside the source tree");
        files.Add(path);
    }

    /// <summary>The file name of a ---/+++ line: up to a tab (the timestamp), unquoted.</summary>
    private static string HeaderPath(ReadOnlySpan<char> rest)
    {
        int tab = rest.IndexOf('\t');
        if (tab >= 0) rest = rest[..tab];
        string path = rest.TrimEnd().ToString();
        if (path.Length >= 2 && path[0] == '"' && path[^1] == '"') path = path[1..^1];
        return path;
    }

    public static string? Strip(string path, int strip)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length <= strip) return null;
        return string.Join('/', parts.Skip(strip));
    }

    /// <summary>The -pN (or --strip=N) in patch options; 0 when none is given.</summary>
    public static int StripLevel(IReadOnlyList<string> patchOptions)
    {
        int level = 0;
        bool seen = false;
        for (int i = 0; i < patchOptions.Count; i++)
        {
            string o = patchOptions[i];
            string? value = null;
            if (o.StartsWith("--strip=", StringComparison.Ordinal)) value = o["--strip=".Length..];
            else if (o == "-p" || o == "--strip") value = i + 1 < patchOptions.Count ? patchOptions[++i] : null;
            else if (o.StartsWith("-p", StringComparison.Ordinal) && o.Length > 2) value = o[2..];
            if (value == null) continue;
            if (!int.TryParse(value, out level) || level < 0) throw new KpkException($"--patch-opt: '{o}' is not a valid strip level");
            seen = true;
        }
        return seen ? level : 0;
    }
}
