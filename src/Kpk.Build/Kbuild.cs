using System.Collections.Concurrent;
using System.Text;

namespace Kpk.Build;

/// <summary>Facts read from an out-of-tree kbuild output directory.</summary>
public static class Kbuild
{
    /// <summary>
    /// The objects (relative to the build directory, e.g. <c>fs/proc/cmdline.o</c>) whose
    /// kbuild dependency record (<c>.cmdline.o.cmd</c>: <c>source_</c> and <c>deps_</c>, written
    /// by fixdep) names one of <paramref name="changedFiles"/> (absolute paths, as kbuild records
    /// them for an out-of-tree build). This is exactly what make would rebuild, without relinking
    /// anything.
    /// </summary>
    public static IReadOnlyList<string> ObjectsUsing(string objDir, IReadOnlyCollection<string> changedFiles, CancellationToken cancel,
        IReadOnlySet<string>? only = null)
    {
        var needles = changedFiles.Select(f => Encoding.UTF8.GetBytes(f)).ToArray();
        var found = new ConcurrentBag<string>();
        // With a list of objects, only their records are read (a prepared tree has few).
        var cmdFiles = only != null
            ? only.Select(o => Path.Combine(objDir, Path.GetDirectoryName(o) ?? "", "." + Path.GetFileName(o) + ".cmd")).Where(File.Exists)
            : Directory.EnumerateFiles(objDir, ".*.o.cmd", SearchOption.AllDirectories);
        Parallel.ForEach(cmdFiles, new ParallelOptions { CancellationToken = cancel, MaxDegreeOfParallelism = Environment.ProcessorCount }, cmd =>
        {
            string name = Path.GetFileName(cmd);
            string obj = name[1..^".cmd".Length];
            // Module glue and linked composites are not compiled from the sources.
            if (obj.EndsWith(".mod.o", StringComparison.Ordinal) || obj == "vmlinux.o") return;
            byte[] bytes = File.ReadAllBytes(cmd);
            ReadOnlySpan<byte> span = bytes;
            if (span.IndexOf("source_"u8) < 0) return; // ld -r composites record no source
            foreach (var needle in needles)
            {
                int at = span.IndexOf(needle);
                while (at >= 0)
                {
                    // A whole path: the next byte ends it (blank, backslash-newline, or end).
                    int end = at + needle.Length;
                    if (end == span.Length || span[end] is (byte)' ' or (byte)'\n' or (byte)'\\' or (byte)'\t' or (byte)')')
                    {
                        found.Add(Path.GetRelativePath(objDir, Path.Combine(Path.GetDirectoryName(cmd)!, obj)));
                        return;
                    }
                    int next = span[end..].IndexOf(needle);
                    at = next < 0 ? -1 : end + next;
                }
            }
        });
        return found.Distinct().Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>A loadable module of the build: its name and the objects linked into it.</summary>
    public sealed record ModuleInfo(string Name, string KoPath, IReadOnlyList<string> Objects);

    /// <summary>
    /// Which module each object belongs to, from kbuild's <c>*.mod</c> files (one per module,
    /// listing its objects). Objects in no module are built into vmlinux.
    /// </summary>
    public static IReadOnlyDictionary<string, ModuleInfo> ModuleOwnership(string objDir)
    {
        var owner = new Dictionary<string, ModuleInfo>(StringComparer.Ordinal);
        foreach (var mod in Directory.EnumerateFiles(objDir, "*.mod", SearchOption.AllDirectories))
        {
            string relMod = Path.GetRelativePath(objDir, mod);
            string baseName = Path.GetFileNameWithoutExtension(mod);
            var objects = File.ReadAllText(mod).Split([' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries)
                .Where(o => o.EndsWith(".o", StringComparison.Ordinal)).ToList();
            var info = new ModuleInfo(baseName.Replace('-', '_'), Path.ChangeExtension(relMod, ".ko"), objects);
            foreach (var o in objects) owner[o] = info;
        }
        return owner;
    }

    /// <summary>The value of CONFIG_X in a .config (null when unset).</summary>
    public static string? ConfigValue(string configFile, string name)
    {
        string prefix = name + "=";
        foreach (var line in File.ReadLines(configFile))
            if (line.StartsWith(prefix, StringComparison.Ordinal)) return line[prefix.Length..].Trim('"');
        return null;
    }

    /// <summary>The first error a build log reports: the file (with line) and, with V=1, the command that compiled it.</summary>
    public static (string? Location, string? Command) FirstError(string logFile)
    {
        if (!File.Exists(logFile)) return (null, null);
        var lines = File.ReadAllLines(logFile);
        for (int i = 0; i < lines.Length; i++)
        {
            string l = lines[i];
            int e = l.IndexOf(": error:", StringComparison.Ordinal);
            if (e < 0) e = l.IndexOf(": fatal error:", StringComparison.Ordinal);
            if (e < 0) continue;
            string location = l[..e];
            string file = location.Split(':')[0];
            string? command = null;
            for (int j = i - 1; j >= 0 && command == null; j--)
            {
                string c = lines[j].TrimStart();
                bool compiles = c.Contains(" -c ", StringComparison.Ordinal) || c.Contains(" -S ", StringComparison.Ordinal);
                if (compiles && c.Contains(Path.GetFileName(file), StringComparison.Ordinal)) command = c;
            }
            return (l, command);
        }
        return (null, null);
    }
}
