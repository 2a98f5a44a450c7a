using Kpk.Core;

namespace Kpk.Wedge;

/// <summary>
/// <c>install-files</c>: fills the package build directories for every kernel of the host
/// architecture — the kernel image, System.map and module index files into the kernel-image
/// package, then the modules (copy-modules), then the duplicate and unpackaged reports.
/// Each step is announced on the output as the command the reference runs for it.
/// </summary>
public sealed class FileInstaller(WedgeEnvironment env, TextWriter output, TextWriter err)
{
    public void Run(string? fixedVersion)
    {
        var lines = KernelVersions.Read(env);
        foreach (var line in lines) KernelVersions.RequireAllColumns(line);
        var kernels = lines.Where(l => l.Arch == env.HostArch)
            .Select(l => (Line: l, Version: KernelVersions.EffectiveVersion(l, fixedVersion, WedgeExit.BadContent)))
            .ToList();
        foreach (var (line, version) in kernels) Install(line, version);
    }

    private void Install(KernelVersion line, string version)
    {
        string flavour = line.Flavour;
        string installedName = line.InstalledName == "-" ? $"{version}-{flavour}" : line.InstalledName!;
        string imagePackage = $"debian/kernel-image-{version}-{flavour}-di";

        string sourceDir;
        string? bootwrapperDir = null;
        if (env.SourceDir != null) sourceDir = env.SourceDir;
        else if (line.BuildDepends != "-") sourceDir = ""; // the kernel package is installed
        else if (line.Arch.StartsWith("kfreebsd-", StringComparison.Ordinal)) sourceDir = $"debian/kfreebsd-image-{installedName}";
        else
        {
            // Built as part of the kernel's own source package.
            sourceDir = new[] { $"debian/linux-image-{installedName}", $"debian/linux-image-{installedName}-unsigned" }
                .FirstOrDefault(d => Directory.Exists(env.Resolve(d))) ?? "";
            string bootwrapper = $"debian/linux-bootwrapper-{version}";
            if (Directory.Exists(env.Resolve(bootwrapper))) bootwrapperDir = bootwrapper;
        }
        var kernelEnv = env with { SourceDir = sourceDir };

        string extraName = "";
        if (line.Suffix is { Length: > 0 } s && (s[0] == 'y' || s[0] == 'Y')) extraName = $"-{version}-{flavour}";
        else if (line.Suffix is { Length: > 1 } d && d[0] == '-') extraName = d;

        string listDir = ConfigLayout.ModuleListDir(env, env.ConfigDir, line.Arch, flavour);
        bool hasImage = ConfigLayout.Exists(env.Resolve($"{listDir}/kernel-image"));

        // Everything the kernel-image package needs is looked for before anything is installed.
        var installs = new List<(string Source, string Target)>();
        string? indexDir = null;
        string[] indexFiles = [];
        if (hasImage && env.IsLinux)
        {
            string vmlinux = $"{sourceDir}/boot/vmlinux-{installedName}", vmlinuz = $"{sourceDir}/boot/vmlinuz-{installedName}";
            if (ConfigLayout.Exists(env.Resolve(vmlinux))) installs.Add((vmlinux, $"{imagePackage}/boot/vmlinux{extraName}"));
            else if (ConfigLayout.Exists(env.Resolve(vmlinuz))) installs.Add((vmlinuz, $"{imagePackage}/boot/vmlinuz{extraName}"));
            else throw new KpkException($"could not find kernel image: neither {vmlinux} nor {vmlinuz}", WedgeExit.NoSuchFile);

            // The module index files go where the modules are: /usr/lib/modules or /lib/modules.
            string? moduleDir = new[] { $"/usr/lib/modules/{installedName}", $"/lib/modules/{installedName}" }
                .FirstOrDefault(m => Directory.Exists(env.Resolve(sourceDir + m)));
            if (moduleDir != null)
            {
                indexDir = imagePackage + moduleDir;
                indexFiles = [$"{sourceDir}{moduleDir}/modules.builtin", $"{sourceDir}{moduleDir}/modules.order"];
                foreach (var f in indexFiles)
                    if (!File.Exists(env.Resolve(f))) throw new KpkException($"install: cannot stat '{f}': No such file or directory", WedgeExit.NoSuchFile);
            }
        }
        else if (hasImage)
        {
            string kfreebsd = $"{sourceDir}/boot/kfreebsd-{installedName}.gz";
            if (!ConfigLayout.Exists(env.Resolve(kfreebsd)))
                throw new KpkException($"could not find kernel image: {kfreebsd}", WedgeExit.NoSuchFile);
            installs.Add((kfreebsd, $"{imagePackage}/boot/kfreebsd{extraName}.gz"));
        }

        foreach (var (source, target) in installs) InstallFile(source, target);
        if (indexDir != null)
        {
            Announce("install", "-d", indexDir);
            Directory.CreateDirectory(env.Resolve(indexDir));
            Announce(["install", "-m", "644", .. indexFiles, indexDir + "/"]);
            foreach (var f in indexFiles) CopyAs644(f, $"{indexDir}/{Path.GetFileName(f)}");
        }

        string systemMap = $"{sourceDir}/boot/System.map-{installedName}";
        if (hasImage && ConfigLayout.Exists(env.Resolve(systemMap)))
            InstallFile(systemMap, $"{imagePackage}/boot/System.map{extraName}");

        // Extra files some subarchitectures' installer builds need (powerpc so far).
        string extras = $"{sourceDir}/usr/lib/linux-image-{version}-{flavour}";
        if (Directory.Exists(env.Resolve(extras)))
        {
            string installDir = $"{imagePackage}/usr/lib/linux-image-{installedName}";
            Announce("install", "-d", $"{imagePackage}/usr/lib");
            Directory.CreateDirectory(env.Resolve($"{imagePackage}/usr/lib"));
            Announce("cp", "-a", extras, installDir);
            CopyTree(extras, installDir);
            if (bootwrapperDir != null) ReplaceBootwrapperLinks(installDir, bootwrapperDir, version);
        }

        Step(["kernel-wedge", "copy-modules", version, flavour, installedName], () =>
        {
            var split = ModuleSplitter.Plan(kernelEnv, version, flavour, installedName, err);
            if (split != null) ModuleSplitter.Write(kernelEnv, split);
            return WedgeExit.Ok;
        });
        string kernel = $"{version}-{flavour}";
        Step(["kernel-wedge", "find-dups", kernel], () => DuplicateFinder.Report(kernelEnv, DuplicateFinder.Find(kernelEnv, kernel), output, err));
        Step(["kernel-wedge", "find-unpackaged", kernel, installedName], () =>
        {
            output.Write(UnpackagedFinder.Format(kernel, UnpackagedFinder.Find(kernelEnv, kernel, installedName)));
            return WedgeExit.Ok;
        });
    }

    /// <summary>Links to the bootwrapper package's files are replaced by the files, rather than building another udeb.</summary>
    private void ReplaceBootwrapperLinks(string installDir, string bootwrapperDir, string version)
    {
        foreach (var entry in new DirectoryInfo(env.Resolve(installDir)).EnumerateFileSystemInfos().ToList())
        {
            if (entry.LinkTarget != $"../linux-bootwrapper-{version}/{entry.Name}") continue;
            entry.Delete();
            string source = $"{bootwrapperDir}/usr/lib/linux-bootwrapper-{version}/{entry.Name}";
            string target = $"{installDir}/{entry.Name}";
            Announce("cp", "-a", source, target);
            var found = new FileInfo(env.Resolve(source));
            if (!found.Exists && found.LinkTarget == null && !Directory.Exists(found.FullName))
                throw new KpkException($"cp: cannot stat '{source}': No such file or directory", WedgeExit.NoSuchFile);
            TreeCopy.CopyEntry(env.Resolve(source), env.Resolve(target));
        }
    }

    /// <summary>install -D -m 644: leading directories made, the file's content copied (through links), mode 644.</summary>
    private void InstallFile(string source, string target)
    {
        Announce("install", "-D", "-m", "644", source, target);
        Directory.CreateDirectory(Path.GetDirectoryName(env.Resolve(target))!);
        CopyAs644(source, target);
    }

    private void CopyAs644(string source, string target) =>
        TreeCopy.CopyFile(env.Resolve(source), env.Resolve(target),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, modified: null);

    /// <summary>cp -a SOURCE TARGET: into TARGET/NAME when TARGET is already a directory, as cp does.</summary>
    private void CopyTree(string source, string target)
    {
        string to = env.Resolve(target);
        if (Directory.Exists(to)) to = Path.Combine(to, Path.GetFileName(env.Resolve(source).TrimEnd('/')));
        TreeCopy.CopyEntry(env.Resolve(source), to);
    }

    private void Announce(params string[] command) => output.Write("\t" + string.Join(" ", command) + "\n");

    /// <summary>Runs one of kernel-wedge's own commands; its failure ends install-files, as in the reference.</summary>
    private void Step(string[] command, Func<int> run)
    {
        Announce(command);
        int status;
        try
        {
            status = run();
        }
        catch (KpkException e)
        {
            err.Write(e.Message + "\n");
            status = e.ExitCode;
        }
        if (status != 0) throw new KpkException($"command exited with status {status}", WedgeExit.NoSuchFile);
    }
}
