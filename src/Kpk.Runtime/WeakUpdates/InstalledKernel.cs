using Kpk.Core;
using Kpk.Core.Compression;
using Kpk.Diff;

namespace Kpk.Runtime.WeakUpdates;

/// <summary>
/// A module a kernel module package installed under <c>/lib/modules/RELEASE/updates/</c>.
/// <see cref="RelativePath"/> is its path below <c>/lib/modules/RELEASE/</c> (<c>updates/foo.ko</c>):
/// other kernels link it at the same path below their <c>weak-updates/</c>, as SUSE's weak-modules2 does.
/// </summary>
public sealed class UpdateModule(string release, string relativePath, string fullPath)
{
    private ModuleSymbols? _symbols;

    public string Release { get; } = release;
    public string RelativePath { get; } = relativePath;
    public string FullPath { get; } = fullPath;
    /// <summary>The file name (<c>foo.ko</c>): depmod and modprobe know a module by it, so two kernels' copies compete.</summary>
    public string FileName => Path.GetFileName(RelativePath);
    /// <summary>Its path as seen inside the root: <c>/lib/modules/RELEASE/updates/foo.ko</c>.</summary>
    public string InRootPath => $"/lib/modules/{Release}/{RelativePath}";
    public ModuleSymbols Symbols => _symbols ??= ModuleSymbols.Read(FullPath);

    public override string ToString() => InRootPath;
}

/// <summary>
/// An installed kernel: <c>/lib/modules/RELEASE</c> under the root, what it exports (its symvers) and
/// the modules of its own <c>updates/</c>.
/// </summary>
public sealed class InstalledKernel
{
    public const string UpdatesDir = "updates", WeakUpdatesDir = "weak-updates";
    private static readonly string[] ModuleSuffixes = [".ko", .. CompressedFile.Suffixes.Select(s => ".ko" + s)];

    private readonly SystemRoot _root;
    private (ModuleSymvers Symvers, string Source)? _symvers;
    private bool _symversLooked;
    private IReadOnlyList<UpdateModule>? _updates;

    public InstalledKernel(SystemRoot root, string release)
    {
        if (release.Length == 0 || release.Contains('/') || release is "." or "..")
            throw new KpkException($"\"{release}\" is not a kernel release");
        _root = root;
        Release = release;
        Directory = root.ModulesDir(release);
    }

    public string Release { get; }
    public string Directory { get; }
    public bool Exists => System.IO.Directory.Exists(Directory);
    public string WeakUpdates => Path.Combine(Directory, WeakUpdatesDir);

    /// <summary>
    /// SUSE's and Debian's kernels name their flavour last (<c>6.4.0-150600.21-default</c>,
    /// <c>6.1.0-57-amd64</c>); weak-modules2 only pairs kernels of one flavour.
    /// </summary>
    public string Flavor => Release[(Release.LastIndexOf('-') + 1)..];

    /// <summary>Where the exports of a kernel are looked for, in order (paths inside the root).</summary>
    public IReadOnlyList<string> SymversCandidates =>
    [
        $"/lib/modules/{Release}/symvers.gz",
        $"/lib/modules/{Release}/symvers",
        $"/boot/symvers-{Release}.gz",
        $"/lib/modules/{Release}/build/Module.symvers",
    ];

    /// <summary>The kernel's (vmlinux's and its in-tree modules') exports with CRCs, or null when none of <see cref="SymversCandidates"/> exists.</summary>
    public (ModuleSymvers Symvers, string Source)? Symvers
    {
        get
        {
            if (_symversLooked) return _symvers;
            _symversLooked = true;
            foreach (string candidate in SymversCandidates)
            {
                string path = _root.Resolve(candidate);
                if (File.Exists(path)) return _symvers = (ModuleSymvers.Load(path), candidate);
            }
            return null;
        }
    }

    /// <summary>The modules below <c>updates/</c>, sorted by path.</summary>
    public IReadOnlyList<UpdateModule> Updates => _updates ??= FindUpdates();

    private List<UpdateModule> FindUpdates()
    {
        string dir = Path.Combine(Directory, UpdatesDir);
        if (!System.IO.Directory.Exists(dir)) return [];
        return System.IO.Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(IsModuleFile)
            .Select(f => Path.GetRelativePath(Directory, f))
            .Order(StringComparer.Ordinal)
            .Select(rel => new UpdateModule(Release, rel, Path.Combine(Directory, rel)))
            .ToList();
    }

    public static bool IsModuleFile(string path) => ModuleSuffixes.Any(s => path.EndsWith(s, StringComparison.Ordinal));

    /// <summary>Every kernel with a directory in <c>/lib/modules</c> of the root, newest release first.</summary>
    public static IReadOnlyList<InstalledKernel> All(SystemRoot root)
    {
        string modules = root.Resolve("/lib/modules");
        if (!System.IO.Directory.Exists(modules)) return [];
        return System.IO.Directory.EnumerateDirectories(modules)
            .Select(d => Path.GetFileName(d)!)
            .Order(ReleaseOrder.Instance).Reverse()
            .Select(r => new InstalledKernel(root, r))
            .ToList();
    }

    public override string ToString() => Release;
}

/// <summary>Orders kernel releases as versions: digit runs by value, the rest bytewise (6.1.0-9 before 6.1.0-10).</summary>
public sealed class ReleaseOrder : IComparer<string>
{
    public static ReleaseOrder Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        x ??= ""; y ??= "";
        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            if (char.IsAsciiDigit(x[i]) && char.IsAsciiDigit(y[j]))
            {
                int si = i, sj = j;
                while (i < x.Length && char.IsAsciiDigit(x[i])) i++;
                while (j < y.Length && char.IsAsciiDigit(y[j])) j++;
                var a = x.AsSpan(si, i - si).TrimStart('0');
                var b = y.AsSpan(sj, j - sj).TrimStart('0');
                int c = a.Length != b.Length ? a.Length.CompareTo(b.Length) : a.SequenceCompareTo(b);
                if (c != 0) return c;
            }
            else
            {
                if (x[i] != y[j]) return x[i].CompareTo(y[j]);
                i++; j++;
            }
        }
        return (x.Length - i).CompareTo(y.Length - j);
    }
}
