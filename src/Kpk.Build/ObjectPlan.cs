using System.Text.RegularExpressions;
using Kpk.Core;

namespace Kpk.Build;

/// <summary>One object the patched build compiles, and what it is part of: vmlinux or a module (with its .ko's kbuild path).</summary>
public sealed record PlannedObject(string Object, string Parent, string? ModuleKo)
{
    public static PlannedObject For(string obj, IReadOnlyDictionary<string, Kbuild.ModuleInfo> owners) =>
        owners.TryGetValue(obj, out var m) ? new PlannedObject(obj, m.Name, m.KoPath) : new PlannedObject(obj, "vmlinux", null);
}

/// <summary>
/// Which objects a change can affect, found without building the kernel: from kbuild's own
/// records when a build directory has them (exact: the dependency lists fixdep wrote), else by
/// asking kbuild what this config compiles in the directories of the files that include a
/// changed header (<see cref="IncludeScan"/>) and compiling those; the differ then drops the
/// objects the change leaves alone.
/// </summary>
public static partial class ObjectPlanner
{
    /// <summary>The objects whose kbuild records in <paramref name="buildDir"/> name a changed file (paths relative to the tree).</summary>
    public static IReadOnlyList<PlannedObject> FromRecords(string buildDir, string recordedRoot, IReadOnlyList<string> files, CancellationToken cancel)
    {
        var absolute = files.Select(f => recordedRoot.TrimEnd('/') + "/" + f).ToList();
        var owners = Kbuild.ModuleOwnership(buildDir);
        return Kbuild.ObjectsUsing(buildDir, absolute, cancel).Select(o => PlannedObject.For(o, owners)).ToList();
    }

    /// <summary>
    /// The source root a build directory's records name (from <c>source_OBJ := /ROOT/dir/file.c</c>),
    /// or null when it holds no records.
    /// </summary>
    public static string? RecordedSourceRoot(string buildDir)
    {
        if (!Directory.Exists(buildDir)) return null;
        bool relative = false;
        // The first compiled object's record says where its source was: kbuild's records are
        // found breadth-first in the top directories (init/, kernel/), not deep in drivers/.
        foreach (var cmd in Directory.EnumerateFiles(buildDir, ".*.o.cmd", SearchOption.AllDirectories).Take(500))
        {
            string obj = Path.GetRelativePath(buildDir, Path.Combine(Path.GetDirectoryName(cmd)!, Path.GetFileName(cmd)[1..^".cmd".Length]));
            foreach (var line in File.ReadLines(cmd))
            {
                if (!line.StartsWith("source_", StringComparison.Ordinal)) continue;
                string path = line[(line.IndexOf(":=", StringComparison.Ordinal) + 2)..].Trim();
                string rel = Path.ChangeExtension(obj, Path.GetExtension(path));
                if (path.StartsWith('/') && path.EndsWith("/" + rel, StringComparison.Ordinal)) return path[..^(rel.Length + 1)];
                // A relative source is in the build directory: generated (an O= build's vdso
                // image), or every source of an in-tree build.
                if (path == rel) relative = true;
                break;
            }
        }
        return relative ? Path.GetFullPath(buildDir) : null;
    }

    /// <summary>
    /// What kbuild compiles for this config in the given directories (recursively), and which
    /// objects make up each module there: <c>make -n DIR/</c> prints every compile command and
    /// every module's object list without running them.
    /// </summary>
    public static (HashSet<string> Compiled, Dictionary<string, Kbuild.ModuleInfo> Owners) QueryKbuild(
        KbuildMake make, CacheEntry entry, IReadOnlyCollection<string> directories, string log)
    {
        // Nested directories are covered by their parent's recursion.
        var dirs = directories.Order(StringComparer.Ordinal).ToList();
        var top = dirs.Where(d => !dirs.Any(p => p != d && (p.Length == 0 || d.StartsWith(p + "/", StringComparison.Ordinal)))).ToList();
        if (top.Count == 0) return (new HashSet<string>(StringComparer.Ordinal), new Dictionary<string, Kbuild.ModuleInfo>(StringComparer.Ordinal));
        var lines = new List<string>();
        var r = make.Kernel(entry, ["-n", .. top.Select(d => d + "/")], log, verbose: true, onLine: l => lines.Add(l));
        if (!r.Ok) throw new KpkException($"asking kbuild which objects this config builds (make -n {string.Join(' ', top.Select(d => d + "/"))}) failed; see {log}");
        return ParseDryRun(lines);
    }

    /// <summary>The objects and module lists in the output of kbuild's <c>make -n V=1</c>.</summary>
    public static (HashSet<string> Compiled, Dictionary<string, Kbuild.ModuleInfo> Owners) ParseDryRun(IEnumerable<string> lines)
    {
        var compiled = new HashSet<string>(StringComparer.Ordinal);
        var owners = new Dictionary<string, Kbuild.ModuleInfo>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            foreach (Match m in CompileCommand().Matches(line)) compiled.Add(m.Groups["obj"].Value);
            // An object already compiled is up to date and prints no command; the archive that
            // links vmlinux's objects of a directory, never made in a prepared tree, names them all.
            foreach (Match m in BuiltinArchive().Matches(line))
                foreach (var o in m.Groups["objs"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    if (o.EndsWith(".o", StringComparison.Ordinal)) compiled.Add(m.Groups["dir"].Value + o);
            foreach (Match m in ModObjects().Matches(line))
            {
                string prefix = m.Groups["prefix"].Value;
                string mod = m.Groups["mod"].Value;
                var objects = m.Groups["objs"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(o => prefix + o).ToList();
                var info = new Kbuild.ModuleInfo(Path.GetFileName(mod).Replace('-', '_'), mod + ".ko", objects);
                foreach (var o in objects) { owners[o] = info; compiled.Add(o); }
            }
        }
        return (compiled, owners);
    }

    // gcc ... -c -o fs/proc/cmdline.o /src/fs/proc/cmdline.c
    [GeneratedRegex(@"\s-c\s+-o\s+(?<obj>[^\s;]+\.o)\s+[^\s;]+\.[cS](?=[\s;]|$)")]
    private static partial Regex CompileCommand();

    // printf "fs/ext4/%s " balloc.o bitmap.o | xargs ar cDPrST fs/ext4/built-in.a
    [GeneratedRegex(@"printf ""(?<dir>[^""%]*)%s "" (?<objs>[^|""]*)\| xargs ar \w+ [^\s;]*built-in\.a")]
    private static partial Regex BuiltinArchive();

    // printf '%s\n'   a.o b.o | awk '!x[$0]++ { print("fs/"$0) }' > fs/foo.mod
    [GeneratedRegex(@"printf '%s\\n'\s+(?<objs>[^|']*?)\s*\|\s*awk\s+'!x\[\$0\]\+\+ \{ print\(""(?<prefix>[^""]*)""\$0\) \}'\s*>\s*(?<mod>[^\s;]+)\.mod")]
    private static partial Regex ModObjects();
}
