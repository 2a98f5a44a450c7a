namespace Kpk.Tests;

/// <summary>Where tests find the repository, the shared conformance data and a scratch directory.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary><c>../shared/conformance</c> beside the project root.</summary>
    public static string Conformance => Path.Combine(Path.GetDirectoryName(RepoRoot)!, "shared", "conformance");

    public static string DiffObjectCases => Path.Combine(Conformance, "diff-object", "x86_64");

    /// <summary>A fresh directory under the system temp dir, removed by the caller's using.</summary>
    public static TempDir TempDir(string prefix = "kpk-test") => new(prefix);

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "kpk.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (kpk.slnx) above " + AppContext.BaseDirectory);
    }
}

public sealed class TempDir : IDisposable
{
    public TempDir(string prefix)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }
    public string this[string name] => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Test tiers, used as xunit traits: <c>[Trait("Tier", Tier.Conformance)]</c>. Unmarked tests are unit tests.</summary>
public static class Tier
{
    public const string Conformance = "conformance";
}
