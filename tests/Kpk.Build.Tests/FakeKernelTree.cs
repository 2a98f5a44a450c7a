using System.Diagnostics;
using System.Security.Cryptography;
using Kpk.Build;
using Kpk.Core;
using Kpk.Tests;

namespace Kpk.Build.Tests;

/// <summary>
/// A user's "kernel" for the tests: the fake kbuild tree copied to a scratch directory, its
/// "distribution build" (the vmlinux and modules the running kernel is), a cache and an output
/// directory. Everything runs the real gcc, patch, make and ld.
/// </summary>
public sealed class FakeKernelTree : IDisposable
{
    private readonly TempDir _dir = TestPaths.TempDir("kpk-create");

    public string Tree => _dir["tree"];
    public string UserBuild => _dir["userbuild"];
    public string Vmlinux => Path.Combine(UserBuild, "vmlinux");
    public string Cache => _dir["cache"];
    public string Out => _dir["out"];
    public string Scratch => _dir.Path;

    public FakeKernelTree()
    {
        CopyDirectory(Path.Combine(TestPaths.RepoRoot, "tests", "Kpk.Build.Tests", "FakeKernel"), Tree);
        Directory.CreateDirectory(UserBuild);
        File.Copy(Path.Combine(Tree, "config"), Path.Combine(UserBuild, ".config"));
        Run("make", "-s", "-C", Tree, "O=" + UserBuild, "vmlinux", "modules");
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>A unified diff (a/ b/ prefixes) of <paramref name="file"/> with its text replaced.</summary>
    public string MakePatch(string name, string file, string from, string to)
    {
        string original = File.ReadAllText(Path.Combine(Tree, file));
        if (!original.Contains(from)) throw new InvalidOperationException($"{file} has no '{from}'");
        return MakePatchOf(name, file, original.Replace(from, to));
    }

    public string MakePatchOf(string name, string file, string newText)
    {
        string work = Path.Combine(Scratch, "patchwork-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(Path.Combine(work, "a", Path.GetDirectoryName(file)!));
        Directory.CreateDirectory(Path.Combine(work, "b", Path.GetDirectoryName(file)!));
        File.Copy(Path.Combine(Tree, file), Path.Combine(work, "a", file));
        File.WriteAllText(Path.Combine(work, "b", file), newText);
        var r = Tool.Run("diff", ["-u", "a/" + file, "b/" + file], work, CancellationToken.None);
        string patch = Path.Combine(Scratch, name);
        File.WriteAllText(patch, r.Output);
        return patch;
    }

    public CreateArguments Args(params string[] patches) => new()
    {
        KernelSource = Tree,
        Patches = patches,
        Config = UserBuild,
        Vmlinux = Vmlinux,
        OutputDirectory = Out,
        Jobs = 2,
    };

    public IReadOnlyDictionary<string, string?> Env => new Dictionary<string, string?> { ["KPK_CACHE"] = Cache };

    public CreateOutcome Create(CreateArguments args, IReporter? reporter = null, CancellationToken cancel = default)
    {
        var request = CreateRequestBuilder.Build(args, Env).Request;
        return new CreatePipeline(request, reporter ?? NullReporter.Instance, cancel).Run();
    }

    /// <summary>Every file of the user's tree with inode, time and content hash: proof that nothing touched it.</summary>
    public string Snapshot()
    {
        var lines = new List<string>();
        foreach (var f in Directory.EnumerateFiles(Tree, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(f);
            string hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)));
            lines.Add($"{Path.GetRelativePath(Tree, f)} {info.LastWriteTimeUtc.Ticks} {info.Length} {hash} {Inode(f)}");
        }
        return string.Join('\n', lines);
    }

    public static string Inode(string path) => Tool.Run("stat", ["-c", "%i %h", path], null, CancellationToken.None).Output.Trim().Split(' ')[0];

    /// <summary>The single cache entry of this tree.</summary>
    public string CacheEntryDir => Directory.GetDirectories(Path.Combine(Cache, "builds")).Single();

    public static void Run(string program, params string[] args)
    {
        var r = Tool.Run(program, args, null, CancellationToken.None);
        if (!r.Ok) throw new InvalidOperationException($"{program} {string.Join(' ', args)}: {r.Output}");
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }
}
