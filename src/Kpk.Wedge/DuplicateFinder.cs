namespace Kpk.Wedge;

/// <summary>A module file that two packages both hold.</summary>
public sealed record DuplicateModule(string Path, string FirstPackageDir, string SecondPackageDir);

/// <summary>
/// <c>find-dups</c>: the module files that more than one of a kernel's packages
/// (debian/kernel-image-KERNEL-di and debian/*-modules-KERNEL-di) would install.
/// <para>
/// Unlike the reference, a package directory that does not exist yet (or has no module
/// directory) is simply skipped: the reference stops listing there, so before the kernel-image
/// package is populated it reports no duplicates at all. The reference also never compares the
/// first file in sort order with the next one, missing a duplicate there; every pair counts here.
/// </para>
/// </summary>
public static class DuplicateFinder
{
    public const string IgnoreFile = "ignore-dups";

    public static IReadOnlyList<DuplicateModule> Find(WedgeEnvironment env, string kernel)
    {
        var dirs = new List<string> { $"debian/kernel-image-{kernel}-di" };
        dirs.AddRange(PackageDirs.ModulePackages(env, kernel).Select(n => "debian/" + n));

        // Lines as the reference sorts them: "DIR PATH", by PATH, then by the whole line.
        var lines = new List<(string Dir, string Path, string Line)>();
        foreach (var dir in dirs)
        {
            string full = env.Resolve(dir);
            if (!Directory.Exists(full)) continue;
            string moduleDir = Directory.Exists(Path.Combine(full, "usr/lib/modules", kernel)) ? $"usr/lib/modules/{kernel}" : $"lib/modules/{kernel}";
            if (!Directory.Exists(Path.Combine(full, moduleDir))) continue;
            foreach (var file in PackageDirs.RegularFiles(Path.Combine(full, moduleDir)))
            {
                string path = moduleDir + "/" + file;
                lines.Add((dir, path, $"{dir} {path}"));
            }
        }
        lines.Sort((a, b) =>
        {
            int byKey = ByteOrder.Instance.Compare(Key(a.Line), Key(b.Line));
            return byKey != 0 ? byKey : ByteOrder.Instance.Compare(a.Line, b.Line);
        });

        var dups = new List<DuplicateModule>();
        for (int i = 1; i < lines.Count; i++)
        {
            // Compared as the reference compares them: the second word of each line.
            var previous = PerlText.Words(lines[i - 1].Line);
            var current = PerlText.Words(lines[i].Line);
            if (current.Count > 1 && previous.Count > 1 && current[1] == previous[1])
                dups.Add(new DuplicateModule(current[1], previous[0], current[0]));
        }
        return dups;
    }

    /// <summary>sort -k2's key: from the first blank after the first field to the end of the line.</summary>
    private static string Key(string line)
    {
        int i = 0;
        while (i < line.Length && PerlText.IsSpace(line[i])) i++;
        while (i < line.Length && !PerlText.IsSpace(line[i])) i++;
        return line[i..];
    }

    /// <summary>
    /// Prints the duplicates as the reference does (each pair: the later package's line, then the
    /// earlier's) and gives the exit code: 1 when there are any, unless ignore-dups exists in the
    /// configuration directory or KW_CHECK_NONFATAL is set.
    /// </summary>
    public static int Report(WedgeEnvironment env, IReadOnlyList<DuplicateModule> dups, TextWriter output, TextWriter err)
    {
        foreach (var d in dups) output.Write($"{d.SecondPackageDir} {d.Path}\n{d.FirstPackageDir} {d.Path}\n");
        if (dups.Count == 0) return WedgeExit.Ok;
        err.Write("some modules are in more than one package\n");
        bool tolerated = ConfigLayout.Exists(env.Resolve($"{env.ConfigDir}/{IgnoreFile}")) || env.NonFatalNonEmpty;
        return tolerated ? WedgeExit.Ok : WedgeExit.Failed;
    }
}
