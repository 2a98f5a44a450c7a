using System.Text.RegularExpressions;
using Kpk.Core;

namespace Kpk.Build;

/// <summary>What the user gave of a distribution kernel's parts; the rest is fetched.</summary>
public sealed record KernelParts
{
    public string? Source { get; init; }
    public string? Config { get; init; }
    public string? Symvers { get; init; }
    public string? Vmlinux { get; init; }
    public string? Kallsyms { get; init; }
}

/// <summary>
/// A Debian kernel by its release (<c>6.1.0-57-cloud-amd64</c>): finds each part the build needs
/// on this machine when the package is installed at the kernel's version, or fetches the package
/// with <c>apt-get download</c> at exactly that version and unpacks what it needs into the cache
/// (<c>CACHE/debian/RELEASE_VERSION/</c>). The parts: the image (config, modules, vmlinuz), the
/// headers (Module.symvers and the build's full .config), the -dbg package's vmlinux (only the
/// one file is kept, not the 5 GB of module debug info) unless kallsyms is given, and
/// linux-source-X.Y. Every package must have the image's version: a source or symbol table of
/// another version would build a patch for a different kernel.
/// </summary>
public sealed partial class DebianKernel(string cacheRoot, IReporter reporter, CancellationToken cancel)
{
    public TargetKernel Resolve(string release, KernelParts given)
    {
        if (!ReleasePattern().IsMatch(release))
            throw new KpkException($"--kernel {release}: not a kernel release (expected something like 6.1.0-57-cloud-amd64, as uname -r prints)");
        string image = $"linux-image-{release}";
        var installed = InstalledVersion(image);
        string version = installed ?? AptVersion(image)
            ?? throw new KpkException($"--kernel {release}: no package {image} in apt's lists (is the release right? run apt-get update?)");
        reporter.Info($"kernel {release}: {image} {version}{(installed != null ? " (installed)" : "")}");
        string dir = Path.Combine(cacheRoot, "debian", $"{release}_{version}");
        Directory.CreateDirectory(dir);

        // The image: config and modules (and vmlinuz, which the kernel tier boots).
        string imageRoot = installed != null && File.Exists($"/boot/config-{release}") ? "/" : Unpacked(dir, "image", image, version);
        string modulesRoot = Path.Combine(imageRoot, "lib", "modules", release, "kernel");

        string? config = given.Config, symvers = given.Symvers;
        if (config == null || symvers == null)
        {
            string headers = $"linux-headers-{release}";
            string headersRoot = InstalledVersion(headers) == version && File.Exists($"/usr/src/{headers}/Module.symvers") ? "/" : Unpacked(dir, "headers", headers, version);
            string headersDir = Path.Combine(headersRoot, "usr", "src", headers);
            symvers ??= Existing(Path.Combine(headersDir, "Module.symvers"), headers);
            // The headers carry the config the kernel was built with, build-time settings
            // (BUILD_SALT, module signing) included; /boot's copy leaves those out.
            config ??= File.Exists(Path.Combine(headersDir, ".config")) ? Path.Combine(headersDir, ".config")
                : Existing(Path.Combine(imageRoot, "boot", $"config-{release}"), image);
        }

        KernelSymbols symbols;
        if (given.Kallsyms != null) symbols = new KernelSymbols(given.Kallsyms, IsKallsyms: true);
        else if (given.Vmlinux != null) symbols = new KernelSymbols(given.Vmlinux, IsKallsyms: false);
        else symbols = new KernelSymbols(DebugVmlinux(dir, release, version), IsKallsyms: false);

        string source = given.Source ?? SourceTarball(dir, release, version);
        return new TargetKernel
        {
            Source = source,
            ConfigFile = config,
            Symvers = symvers,
            Symbols = symbols,
            Release = release,
            ModulesRoot = Directory.Exists(modulesRoot) ? modulesRoot : null,
            Package = image,
            PackageVersion = version,
        };
    }

    private string DebugVmlinux(string dir, string release, string version)
    {
        string installedPath = $"/usr/lib/debug/boot/vmlinux-{release}";
        string dbg = $"linux-image-{release}-dbg";
        if (InstalledVersion(dbg) == version && File.Exists(installedPath)) return installedPath;
        string target = Path.Combine(dir, $"vmlinux-{release}");
        if (File.Exists(target)) return target;
        string deb = Download(dir, dbg, version);
        reporter.Stage($"taking vmlinux-{release} out of {Path.GetFileName(deb)} (the rest of the debug package is not kept)");
        string partial = Path.Combine(dir, "dbg.partial");
        DeleteDirectory(partial);
        Directory.CreateDirectory(partial);
        // dpkg-deb streams the data archive; tar keeps only the one member.
        var r = Tool.Run("sh", ["-c", "dpkg-deb --fsys-tarfile \"$1\" | tar -x -C \"$2\" \"./usr/lib/debug/boot/vmlinux-$3\"", "sh", deb, partial, release], null, cancel);
        string extracted = Path.Combine(partial, "usr", "lib", "debug", "boot", $"vmlinux-{release}");
        if (!File.Exists(extracted))
            throw new KpkException($"{deb}: holds no usr/lib/debug/boot/vmlinux-{release}:\n{r.Output.TrimEnd()}");
        File.Move(extracted, target);
        DeleteDirectory(partial);
        File.Delete(deb);
        return target;
    }

    /// <summary>linux-source-X.Y's tarball at the kernel's version: installed, or fetched.</summary>
    private string SourceTarball(string dir, string release, string version)
    {
        string series = string.Join('.', release.Split('.', '-', '+').Take(2));
        string package = $"linux-source-{series}";
        string? installed = InstalledVersion(package);
        if (installed == version)
        {
            var local = Directory.EnumerateFiles("/usr/src", $"{package}.tar.*").FirstOrDefault();
            if (local != null) return local;
        }
        else if (installed != null)
            reporter.Info($"{package} {installed} is installed, but the kernel is {version}: fetching {package} {version}");
        string root = Unpacked(dir, "source", package, version);
        return Directory.EnumerateFiles(Path.Combine(root, "usr", "src"), $"{package}.tar.*").FirstOrDefault()
            ?? throw new KpkException($"{package} {version}: the package holds no /usr/src/{package}.tar.*");
    }

    /// <summary>A package at a version, unpacked once into DIR/NAME (complete or not there at all).</summary>
    private string Unpacked(string dir, string name, string package, string version)
    {
        string target = Path.Combine(dir, name);
        if (File.Exists(Path.Combine(target, ".kpk-unpacked"))) return target;
        string deb = Download(dir, package, version);
        reporter.Stage($"unpacking {Path.GetFileName(deb)}");
        string partial = target + ".partial";
        DeleteDirectory(partial);
        DeleteDirectory(target);
        Tool.Check("dpkg-deb", ["-x", deb, partial], null, cancel);
        File.WriteAllText(Path.Combine(partial, ".kpk-unpacked"), $"{package} {version}\n");
        Directory.Move(partial, target);
        File.Delete(deb);
        return target;
    }

    private string Download(string dir, string package, string version)
    {
        string debs = Directory.CreateDirectory(Path.Combine(dir, "debs")).FullName;
        string? existing = DebOf(debs, package, version);
        if (existing != null) return existing;
        reporter.Stage($"fetching {package} {version} with apt-get download");
        var r = Tool.Run("apt-get", ["download", "-q", $"{package}={version}"], debs, cancel);
        string? deb = DebOf(debs, package, version);
        if (!r.Ok || deb == null)
        {
            var available = AptVersions(package);
            throw new KpkException($"apt-get download {package}={version} failed{(available.Count > 0 ? $" (apt has {string.Join(", ", available)})" : " (apt knows no such package)")}:\n{r.Output.TrimEnd()}");
        }
        string actual = Tool.Check("dpkg-deb", ["-f", deb, "Version"], null, cancel).Trim();
        if (actual != version) throw new KpkException($"{deb}: is version {actual}, not {version}");
        reporter.Info($"fetched {package} {version} ({new FileInfo(deb).Length / 1e6:F1} MB)");
        return deb;
    }

    private static string? DebOf(string debs, string package, string version)
    {
        // apt-get names the file PACKAGE_VERSION_ARCH.deb with the epoch's colon escaped.
        string escaped = version.Replace(":", "%3a");
        return Directory.EnumerateFiles(debs, $"{package}_{escaped}_*.deb").FirstOrDefault();
    }

    private string? InstalledVersion(string package)
    {
        var r = Tool.Run("dpkg-query", ["-W", "-f=${Status}\t${Version}", package], null, cancel);
        if (!r.Ok) return null;
        var parts = r.Output.Trim().Split('\t');
        return parts.Length == 2 && parts[0].EndsWith(" installed", StringComparison.Ordinal) && parts[0].Contains("ok", StringComparison.Ordinal) ? parts[1] : null;
    }

    private string? AptVersion(string package) => AptVersions(package).FirstOrDefault();

    /// <summary>The versions apt can fetch, candidate first.</summary>
    private List<string> AptVersions(string package)
    {
        var r = Tool.Run("apt-cache", ["madison", package], null, cancel);
        if (!r.Ok) return [];
        return r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('|'))
            .Where(p => p.Length >= 2 && p[0].Trim() == package)
            .Select(p => p[1].Trim()).Distinct().ToList();
    }

    private static string Existing(string path, string package) =>
        File.Exists(path) ? path : throw new KpkException($"{package}: has no {path}");

    private static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
    }

    [GeneratedRegex(@"^[0-9]+\.[0-9]+[0-9A-Za-z.+~-]*$")]
    private static partial Regex ReleasePattern();
}
