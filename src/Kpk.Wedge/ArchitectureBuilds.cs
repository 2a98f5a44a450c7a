using System.Diagnostics;
using Kpk.Core;

namespace Kpk.Wedge;

/// <summary>
/// kernel-wedge's <c>build-all</c> and <c>build-arch</c>: for a source package that makes the udebs of
/// several architectures (the unpacked kernel packages of each in <c>../ARCH</c>), build the source
/// package and then each architecture's binaries with dpkg-buildpackage, cross-building the ones
/// that are not the build machine's with a stub compiler that only names the target (no cross
/// compiler is needed: nothing is compiled). The architectures are the first column of
/// <c>kernel-versions</c> in the current directory.
/// </summary>
public sealed class ArchitectureBuilds(string workingDirectory, Func<string, string?> variable)
{
    public const string KernelVersionsFile = "kernel-versions";
    /// <summary>dpkg-buildpackage's options as the reference passes them: no build-dependency check, unsigned, fakeroot, clean after, default excludes.</summary>
    public static readonly string[] BuildOptions = ["-d", "-us", "-uc", "-rfakeroot", "-tc", "-I"];

    /// <summary>The architectures kernel-versions lists, in its order, each once.</summary>
    public IReadOnlyList<string> Architectures()
    {
        string path = Path.Combine(workingDirectory, KernelVersionsFile);
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{path}: cannot read: {e.Message}", WedgeExit.NoSuchFile);
        }
        // The first field, split on any white space (the reference's cut -d ' ' takes a tab-separated line whole).
        return lines.Select(l => l.Split([' ', '\t'], 2, StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 0 && !f[0].StartsWith('#'))
            .Select(f => f[0]).Distinct(StringComparer.Ordinal).ToList();
    }

    public void BuildAll()
    {
        foreach (string arch in Architectures()) BuildArch(arch);
    }

    public void BuildArch(string arch)
    {
        if (string.IsNullOrEmpty(arch)) throw new KpkException("** Error: architecture not specified", WedgeExit.Failed);
        // Checked before anything is built (the reference builds the source package first, and its check only fails when every line is ARCH).
        if (!Architectures().Contains(arch)) throw new KpkException($"** Error: arch {arch} not listed in kernel-versions", WedgeExit.Failed);
        BuildPackage(["-S"], null);

        string buildArch = Query("DEB_BUILD_ARCH");
        bool cross = arch != buildArch;
        // Spelled as the reference spells it (`pwd`/../ARCH): the packaging sees the same SOURCEDIR.
        string sources = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workingDirectory)) + "/../" + arch;
        string? sourceDir = Directory.Exists(sources) ? sources : null;
        if (!cross)
        {
            BuildPackage([], new Dictionary<string, string?> { ["SOURCEDIR"] = sourceDir, ["CC"] = null });
            return;
        }
        if (sourceDir == null) Console.Error.Write($"** Warning: no SOURCEDIR for arch {arch}\n");
        string stubs = Directory.CreateTempSubdirectory("kpk-wedge-cc-").FullName;
        try
        {
            // The kernel's packaging asks $CC for its target triplet; the stub answers and compiles nothing.
            string cc = Path.Combine(stubs, $"{arch}-linux-gcc");
            File.WriteAllText(cc, $"#!/bin/sh\necho {arch}-linux\n");
            File.SetUnixFileMode(cc, (UnixFileMode)0x1ED);
            BuildPackage(["-b", "-a" + arch], new Dictionary<string, string?>
            {
                ["SOURCEDIR"] = sourceDir,
                ["CC"] = cc,
                ["PATH"] = (variable("PATH") ?? "/usr/bin:/bin") + ":" + stubs,
            });
        }
        finally
        {
            Directory.Delete(stubs, recursive: true);
        }
    }

    private string Query(string name)
    {
        var run = Run("dpkg-architecture", ["-q" + name], null, capture: true);
        return run.Trim();
    }

    private void BuildPackage(string[] extra, IReadOnlyDictionary<string, string?>? environment) =>
        Run("dpkg-buildpackage", [.. BuildOptions, .. extra], environment, capture: false);

    /// <summary>Runs a dpkg tool in the working directory, its output passed through (or captured); failure ends the build as set -e does.</summary>
    private string Run(string tool, string[] args, IReadOnlyDictionary<string, string?>? environment, bool capture)
    {
        var psi = new ProcessStartInfo(tool) { WorkingDirectory = workingDirectory, RedirectStandardOutput = capture };
        foreach (string a in args) psi.ArgumentList.Add(a);
        if (environment != null)
            foreach (var (k, v) in environment)
                if (v == null) psi.Environment.Remove(k);
                else psi.Environment[k] = v;
        Process process;
        try { process = Process.Start(psi) ?? throw new KpkException($"cannot start {tool}"); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new KpkException($"cannot run {tool} ({e.Message}); apt-get install dpkg-dev", WedgeExit.Failed);
        }
        using (process)
        {
            string output = capture ? process.StandardOutput.ReadToEnd() : "";
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new KpkException($"{tool} {string.Join(' ', args)} exited with status {process.ExitCode}", process.ExitCode);
            return output;
        }
    }
}
