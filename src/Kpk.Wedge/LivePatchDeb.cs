using System.Globalization;
using System.Text;
using Kpk.Core;
using Kpk.Runtime;
using Kpk.Wedge.Deb;

namespace Kpk.Wedge;

public sealed record LivePatchDebOptions
{
    public string OutputDirectory { get; init; } = ".";
    /// <summary>The Debian version of linux-image-RELEASE the patch was built for; Depends on it exactly when given.</summary>
    public string? KernelPackageVersion { get; init; }
    /// <summary>Instead of the one made from the manifest's creation time.</summary>
    public string? Version { get; init; }
    public string Maintainer { get; init; } = DefaultMaintainer();
    public string? Architecture { get; init; }

    /// <summary>DEBFULLNAME and DEBEMAIL, as dch takes them; else root on this host.</summary>
    public static string DefaultMaintainer()
    {
        string name = Environment.GetEnvironmentVariable("DEBFULLNAME") is { Length: > 0 } n ? n : "kpk live patch builder";
        string mail = Environment.GetEnvironmentVariable("DEBEMAIL") is { Length: > 0 } m ? m : "root@" + System.Net.Dns.GetHostName();
        return $"{name} <{mail}>";
    }
}

/// <summary>
/// Turns a kpk-ID.tar.gz into a Debian package that installs the live patch as <c>kpk install</c>
/// does (/lib/modules/RELEASE/updates/kpk/NAME.ko and NAME.json), depends on the exact kernel
/// package it was built for, loads it on installation when that kernel runs (kpk.service loads
/// it at boot) and undoes it before removal.
/// <para>
/// Naming: a cumulative (replace) patch is package <c>kpk-livepatch-RELEASE</c>, versioned by the
/// time it was made, so a later cumulative patch for the same kernel is an upgrade of the earlier
/// one: apt replaces the files, and the kernel's atomic replace swaps the code without a moment
/// unpatched (the old module is unloaded after the new one took over). No Conflicts or Replaces
/// are needed, and fleets get it with apt upgrade. A patch that stacks (--non-replace) is
/// <c>kpk-livepatch-RELEASE-NAME</c>, so several coexist. Each package also Provides
/// <c>kpk-livepatch-ID</c>, so a fleet can ask whether a given fix is installed.
/// </para>
/// </summary>
public static class LivePatchDeb
{
    public const string PackagePrefix = "kpk-livepatch-";

    public static BuiltPackage Build(string tarball, LivePatchDebOptions options)
    {
        using var package = PatchPackage.Open(tarball);
        var manifest = package.Manifest
            ?? throw new KpkException($"{tarball}: a bare module has no manifest (id, creation time); package the kpk-ID.tar.gz that kpk create wrote");
        var module = package.Module.RequireLivepatch();
        string release = manifest.KernelRelease;
        string name = ModuleName.Normalize(module.Name);
        string packageName = PackageName(release, manifest.Replace ? null : name);
        string version = options.Version ?? VersionOf(manifest, tarball);

        string stage = Path.Combine(Path.GetTempPath(), $"kpk-deb-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            var root = new SystemRoot(CreateDirectory(stage));
            string dir = CreateDirectory(root.InstalledDir(release));
            string ko = Path.Combine(dir, name + ".ko");
            File.Copy(module.Path, ko);
            SetMode(ko, 0b110_100_100);
            manifest.Write(Path.ChangeExtension(ko, ".json"));
            SetMode(Path.ChangeExtension(ko, ".json"), 0b110_100_100);
            string doc = CreateDirectory(root.Resolve("/usr/share/doc/" + packageName));
            WriteFile(Path.Combine(doc, "copyright"), Copyright(manifest), 0b110_100_100);
            foreach (string patch in package.Patches)
                WriteFile(Path.Combine(doc, Path.GetFileName(patch)), File.ReadAllText(patch), 0b110_100_100);

            string debian = CreateDirectory(Path.Combine(stage, ControlDirectory.Name));
            WriteFile(Path.Combine(debian, "control"), Control(manifest, packageName, version, options), 0b110_100_100);
            WriteFile(Path.Combine(debian, "postinst"), PostInst(release, name, packageName, manifest.Replace), 0b111_101_101);
            WriteFile(Path.Combine(debian, "prerm"), PreRm(name, packageName, manifest.Replace), 0b111_101_101);
            long stamp = manifest.Created?.ToUnixTimeSeconds() ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            return BinaryPackageBuilder.Build(stage, options.OutputDirectory, stamp);
        }
        finally
        {
            try { Directory.Delete(stage, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Debian package names are lowercase and have no '_'.</summary>
    public static string PackageName(string release, string? stackedModule) =>
        (PackagePrefix + release + (stackedModule != null ? "-" + stackedModule : "")).ToLowerInvariant().Replace('_', '-');

    /// <summary>YYYYMMDD.HHMMSS of the creation time (UTC): later patches get higher versions.</summary>
    private static string VersionOf(PatchManifest manifest, string tarball)
    {
        var created = manifest.Created ?? throw new KpkException($"{tarball}: the manifest has no created time to version the package by; give --version");
        return created.UtcDateTime.ToString("yyyyMMdd.HHmmss", CultureInfo.InvariantCulture);
    }

    private static string Control(PatchManifest m, string packageName, string version, LivePatchDebOptions options)
    {
        string kernel = "linux-image-" + m.KernelRelease + (options.KernelPackageVersion is { } v ? $" (= {v})" : "");
        var functions = m.Objects.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $" {o.Key}: {string.Join(" ", o.Value)}");
        string summary = m.Description.Length > 0 ? m.Description.Split('\n')[0] : m.Name;
        var fields = new (string, string)[]
        {
            ("Package", packageName),
            ("Version", version),
            ("Architecture", options.Architecture ?? DebianArchitecture.Host()),
            ("Maintainer", options.Maintainer),
            ("Depends", $"kpk, {kernel}"),
            ("Provides", PackagePrefix + m.Id.ToLowerInvariant().Replace('_', '-')),
            ("Section", "kernel"),
            ("Priority", "optional"),
            ("Description", $"live patch for Linux {m.KernelRelease}: {summary}\n" +
                            $"kpk live patch {m.Id} (module {m.Name}{(m.Replace ? ", cumulative: replaces earlier patches" : "")}), loaded\n" +
                            $"when installed on a running {m.KernelRelease} and at its boot. It patches:\n" +
                            string.Join("\n", functions)),
        };
        return string.Concat(fields.Select(f => ControlParagraph.FormatField(f.Item1, f.Item2)));
    }

    /// <summary>
    /// Loads the patch when its kernel runs (kpk load-installed skips what is loaded and what is for
    /// other releases). A failure to load leaves the package installed, saying so: it loads at boot.
    /// After an upgrade of a cumulative patch the module it replaced is unloaded.
    /// </summary>
    private static string PostInst(string release, string name, string packageName, bool replace) => $$"""
        #!/bin/sh
        # Made by kpk deb: load the live patch now when its kernel is running.
        set -e
        if [ "$1" = configure ] && [ "$(cat /proc/sys/kernel/osrelease 2>/dev/null)" = "{{release}}" ]; then
            if ! kpk load-installed; then
                echo "{{name}}: installed but not loaded now (see above); kpk.service loads it at the next boot of {{release}}" >&2
            fi
        {{(replace ? $$"""
                replaced=/run/kpk/upgrade-of-{{packageName}}
                if [ -f "$replaced" ]; then
                    old=$(cat "$replaced")
                    rm -f "$replaced"
                    if [ "$old" != "{{name}}" ] && [ -d "/sys/module/$old" ] && [ -d /sys/kernel/livepatch/{{name}} ]; then
                        kpk undo "$old" || echo "{{name}}: the replaced live patch $old stays loaded; 'kpk undo $old' unloads it" >&2
                    fi
                fi
            """ : "")}}
        fi
        exit 0

        """;

    /// <summary>
    /// Undoes the patch before its files go. On an upgrade a cumulative patch stays loaded until the
    /// new one replaces it (its name is left for the new postinst, which unloads it); a stacked one
    /// is undone and the new version loads in its place.
    /// </summary>
    private static string PreRm(string name, string packageName, bool replace) => $$"""
        #!/bin/sh
        # Made by kpk deb: take the live patch out of the running kernel before it is removed.
        set -e
        {{(replace ? $$"""
            if [ "$1" = upgrade ] && [ -d /sys/module/{{name}} ]; then
                mkdir -p /run/kpk
                echo {{name}} > /run/kpk/upgrade-of-{{packageName}}
                exit 0
            fi
            """ : "")}}
        if [ -d /sys/module/{{name}} ]; then
            kpk undo {{name}}
        fi
        exit 0

        """;

    private static string Copyright(PatchManifest m) => $"""
        Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
        Comment: live patch {m.Id} for Linux {m.KernelRelease}, made with kpk. The module is built
         from the Linux kernel's source with the patches beside this file.

        Files: *
        Copyright: the Linux kernel's authors and the authors of the patches
        License: GPL-2
         On Debian systems the full text of the GNU General Public License version 2 is in
         /usr/share/common-licenses/GPL-2.

        """;

    private static string CreateDirectory(string path)
    {
        Directory.CreateDirectory(path);
        SetMode(path, 0b111_101_101);
        return path;
    }

    private static void WriteFile(string path, string text, int mode)
    {
        File.WriteAllText(path, text, new UTF8Encoding(false));
        SetMode(path, mode);
    }

    /// <summary>The package's modes are what its files get, whatever the umask made of them here.</summary>
    private static void SetMode(string path, int mode)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, (UnixFileMode)mode);
    }
}
