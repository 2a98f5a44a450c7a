using System.Text;
using Kpk.Core;

namespace Kpk.Wedge;

/// <summary>
/// <c>gen-control</c>: the binary package stanzas of debian/control, one per kernel and module
/// list, from the package-list templates; preceded by debian/control.stub when the kernels come
/// from build-dependencies.
/// </summary>
public static class ControlGenerator
{
    public const string StubPath = "debian/control.stub";
    public const string ExcludeFile = "exclude-packages";

    /// <summary>The whole output. Nothing is returned (or printed) when an input is bad.</summary>
    public static string Generate(WedgeEnvironment env, string? fixedVersion)
    {
        var excluded = ReadExcluded(env);
        var versions = KernelVersions.Read(env);

        var kernels = new List<(KernelVersion Line, string Version)>();
        var buildDepends = new List<string>();
        foreach (var v in versions)
        {
            kernels.Add((v, KernelVersions.EffectiveVersion(v, fixedVersion, WedgeExit.Died)));
            if (v.BuildDepends != null && v.BuildDepends != "-")
                foreach (var dep in PerlText.SplitCommaList(v.BuildDepends))
                    buildDepends.Add($"{dep} [{v.Arch}]");
        }

        var output = new StringBuilder();
        // Kernels from installed packages (a separate source package) need the stub and their build-dependencies.
        if (buildDepends.Count > 0)
        {
            foreach (var line in PerlText.ReadRequired(env.Resolve(StubPath), StubPath))
            {
                output.Append(line.StartsWith("Build-Depends:", StringComparison.Ordinal)
                    ? string.Join(", ", new[] { line }.Concat(buildDepends))
                    : line);
                output.Append('\n');
            }
        }

        var templates = PackageList.ReadAll(env);
        foreach (var (line, version) in kernels)
        {
            string modListDir = ConfigLayout.ModuleListDir(env, env.ConfigDir, line.Arch, line.Flavour);
            foreach (var template in templates)
            {
                string? package = template.Get("Package", line.Arch, line.Flavour);
                if (package == null || !ConfigLayout.Exists(env.Resolve($"{modListDir}/{package}"))) continue;
                WriteStanza(output, env, template, line.Arch, line.Flavour, version, modListDir, package, excluded);
            }
        }
        return output.ToString();
    }

    private static void WriteStanza(StringBuilder output, WedgeEnvironment env, PackageTemplate template, string arch, string flavour,
                                    string version, string modListDir, string package, HashSet<string> excluded)
    {
        string suffix = $"-{version}-{flavour}-di";
        var overrides = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Architecture"] = arch,
            ["Package"] = package + suffix,
            ["Package-Type"] = "udeb",
            ["Kernel-Version"] = $"{version}-{flavour}",
        };
        if (excluded.Contains(overrides["Package"])) return;
        output.Append('\n');

        string? Field(string name) => template.Get(name, arch, flavour);

        string? section = Field("Section");
        if (section == null || !section.EndsWith("debian-installer", StringComparison.Ordinal))
            overrides["Section"] = "debian-installer";

        if (Field("Depends") is { } depends)
        {
            // A dependency on a package not built for this kernel is dropped, unless forced with "!".
            overrides["Depends"] = string.Join(", ", PerlText.SplitCommaList(depends)
                .Where(d => d.EndsWith('!') || ConfigLayout.Exists(env.Resolve($"{modListDir}/{d}")))
                .Select(d => (d.EndsWith('!') ? d[..^1] : d) + suffix));
        }

        foreach (var name in PackageList.ControlFields)
        {
            // An empty override falls back on the template, as perl's "||" does: a Depends whose
            // every entry was dropped comes out as the template wrote it (the reference's output).
            string? value = overrides.TryGetValue(name, out var o) && PerlTruth.IsTrue(o) ? o : Field(name);
            if (name == "Provides")
                output.Append("Provides: ").Append(package).Append(value != null ? ", " + value : "").Append('\n');
            else if (value != null)
                output.Append(name).Append(": ").Append(value).Append('\n');
        }
    }

    /// <summary>Full package names (with version, flavour and -di) never to generate; the file is optional.</summary>
    private static HashSet<string> ReadExcluded(WedgeEnvironment env)
    {
        var excluded = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var line in PerlText.ReadLines(env.Resolve($"{env.ConfigDir}/{ExcludeFile}"))) excluded.Add(line);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No exclusions.
        }
        return excluded;
    }
}
