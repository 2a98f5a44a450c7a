using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Kpk.Tests;

namespace Kpk.Runtime.Tests;

/// <summary>
/// Real modules (Fixtures/kmp/*.c) built out of tree by kbuild against Debian's installed
/// linux-headers (scripts/install-deps installs them): once per set of sources, into a cache
/// directory under the system temp dir, never into the repository.
/// </summary>
public static class OutOfTreeModules
{
    public const string Release = "6.1.0-57-cloud-amd64";
    public static string Headers => $"/usr/src/linux-headers-{Release}";
    public static string HeadersSymvers => Path.Combine(Headers, "Module.symvers");
    public static readonly string[] Names = ["kpk_kmp_a", "kpk_kmp_b", "kpk_kmp_c"];

    private static readonly Lazy<string> Built = new(Build);

    /// <summary>The built module NAME.ko.</summary>
    public static string Module(string name) => Path.Combine(Built.Value, name + ".ko");

    private static string Sources => Path.Combine(TestPaths.RepoRoot, "tests", "Kpk.Runtime.Tests", "Fixtures", "kmp");

    private static string Build()
    {
        if (!File.Exists(HeadersSymvers))
            throw new InvalidOperationException($"{HeadersSymvers} is missing: run scripts/install-deps (linux-headers-{Release})");
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\0",
            Names.Select(n => File.ReadAllText(Path.Combine(Sources, n + ".c"))).Append(File.ReadAllText(HeadersSymvers)))));
        string dir = Path.Combine(Path.GetTempPath(), "kpk-oot-modules-" + Convert.ToHexString(hash)[..16].ToLowerInvariant());
        if (Names.All(n => File.Exists(Path.Combine(dir, n + ".ko")))) return dir;
        // Built in a fresh directory and renamed into place: a concurrent or killed run never leaves half a set.
        string work = dir + ".tmp-" + Environment.ProcessId;
        if (Directory.Exists(work)) Directory.Delete(work, true);
        Directory.CreateDirectory(work);
        foreach (string n in Names) File.Copy(Path.Combine(Sources, n + ".c"), Path.Combine(work, n + ".c"));
        File.WriteAllText(Path.Combine(work, "Makefile"), "obj-m := " + string.Join(' ', Names.Select(n => n + ".o")) + "\n");
        Make(work);
        try { Directory.Move(work, dir); }
        catch (IOException) when (Directory.Exists(dir)) { Directory.Delete(work, true); } // another run was first
        return dir;
    }

    /// <summary>Builds the modules of <paramref name="dir"/> (its Makefile's obj-m) with kbuild against the headers.</summary>
    public static void Make(string dir) => Run("make", "-C", Headers, $"M={dir}", "modules");

    /// <summary>Runs a tool (objcopy, modprobe, make) and returns its stdout; fails the test on a non-zero exit.</summary>
    public static string Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed: {err.Result}");
        return output;
    }
}
