namespace Kpk.Runtime;

/// <summary>
/// The directory kpk treats as <c>/</c>: the real root on a live system, a prepared tree in tests
/// (<c>--root DIR</c>). Every path kpk reads or writes under /sys, /proc, /lib/modules, /etc or /run
/// goes through here, so nothing escapes the chosen root.
/// </summary>
public sealed class SystemRoot
{
    public SystemRoot(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
            throw new Core.KpkException($"--root {directory}: no such directory");
        Directory = Path.GetFullPath(directory);
    }

    public static SystemRoot Live { get; } = new("/");

    public string Directory { get; }

    public bool IsLive => Directory == "/";

    /// <summary>Maps an absolute path such as <c>/sys/kernel/livepatch</c> into this root.</summary>
    public string Resolve(string absolute) => Path.Combine(Directory, absolute.TrimStart('/'));

    public string Livepatch => Resolve("/sys/kernel/livepatch");
    public string LivepatchDir(string patch) => Path.Combine(Livepatch, patch);
    public string SysModule(string module) => Resolve("/sys/module/" + module);
    public string Proc => Resolve("/proc");
    public string ModulesDir(string release) => Resolve($"/lib/modules/{release}");
    public string InstalledDir(string release) => Resolve($"/lib/modules/{release}/updates/kpk");
    public string SystemdUnit => Resolve("/etc/systemd/system/" + KpkUnit.FileName);
    public string SystemdWantsLink => Resolve($"/etc/systemd/system/{KpkUnit.WantedBy}.wants/{KpkUnit.FileName}");
    /// <summary>Manifests of applied tarballs live under /run: they vanish at reboot, as the patches do.</summary>
    public string AppliedDir => Resolve("/run/kpk");

    public override string ToString() => Directory;
}
