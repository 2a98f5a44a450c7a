namespace Kpk.Runtime;

/// <summary>A live patch the kernel has registered, as /sys/kernel/livepatch/&lt;patch&gt;/ shows it.</summary>
public sealed record LoadedPatch
{
    public required string Name { get; init; }
    public required bool Enabled { get; init; }
    public required bool Transition { get; init; }
    /// <summary>The replace attribute (kernels from 6.11 on show it); null when the kernel does not.</summary>
    public bool? Replace { get; init; }
    public required IReadOnlyList<LoadedObject> Objects { get; init; }
    /// <summary>The kpk id, when the patch was applied from a kpk tarball since boot.</summary>
    public string? Id { get; init; }
}

/// <summary>One object of a loaded patch: <c>patched</c> is null on kernels before 6.1, which lack that attribute.</summary>
public sealed record LoadedObject(string Name, bool? Patched, IReadOnlyList<string> Functions);

/// <summary>
/// The kernel's livepatch sysfs interface (Documentation/ABI/testing/sysfs-kernel-livepatch):
/// <c>/sys/kernel/livepatch/&lt;patch&gt;/{enabled,transition,force,signal[,replace]}</c> and
/// <c>&lt;patch&gt;/&lt;object&gt;/{patched, &lt;function,sympos&gt;/}</c>.
/// </summary>
public sealed class LivepatchSysfs(SystemRoot root)
{
    public SystemRoot Root => root;

    public bool IsRegistered(string patch) => Directory.Exists(root.LivepatchDir(patch));

    /// <summary>A module is loaded when /sys/module/&lt;name&gt; exists (a replaced patch stays loaded without a livepatch directory).</summary>
    public bool IsModuleLoaded(string module) => Directory.Exists(root.SysModule(module));

    /// <summary>
    /// A loaded live patch module, registered or not: the kernel taints every module with
    /// livepatch=Y in its .modinfo with K, shown in /sys/module/NAME/taint. This keeps <c>undo</c>
    /// from ever unloading an ordinary module that happens to have the name asked for.
    /// </summary>
    public bool IsLivepatchModuleLoaded(string module)
    {
        if (IsRegistered(module)) return true;
        try { return File.ReadAllText(Path.Combine(root.SysModule(module), "taint")).Contains('K'); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>Whether the kernel was built with CONFIG_LIVEPATCH: it then has /sys/kernel/livepatch, empty or not.</summary>
    public bool Supported => Directory.Exists(root.Livepatch);

    /// <summary>What to tell the user when <see cref="Supported"/> is false; one wording for every verb.</summary>
    public string NoSupport => $"the running kernel has no livepatch support: {root.Livepatch} does not exist (CONFIG_LIVEPATCH)";

    public IReadOnlyList<LoadedPatch> List()
    {
        if (!Directory.Exists(root.Livepatch)) return [];
        return Directory.GetDirectories(root.Livepatch).Order(StringComparer.Ordinal)
            .Select(d => Read(Path.GetFileName(d))).OfType<LoadedPatch>().ToList();
    }

    /// <summary>The patch's state, or null when it is not (or no longer) registered.</summary>
    public LoadedPatch? Read(string patch)
    {
        string dir = root.LivepatchDir(patch);
        try
        {
            if (!Directory.Exists(dir)) return null;
            var objects = Directory.GetDirectories(dir).Order(StringComparer.Ordinal).Select(o => new LoadedObject(
                Path.GetFileName(o),
                ReadFlag(Path.Combine(o, "patched")),
                Directory.GetDirectories(o).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList())).ToList();
            return new LoadedPatch
            {
                Name = patch,
                Enabled = ReadFlag(Path.Combine(dir, "enabled")) ?? false,
                Transition = ReadFlag(Path.Combine(dir, "transition")) ?? false,
                Replace = ReadFlag(Path.Combine(dir, "replace")),
                Objects = objects,
            };
        }
        catch (DirectoryNotFoundException)
        {
            return null; // the kernel removed it while we read (a disabled patch is freed)
        }
    }

    public bool? Transition(string patch) => ReadFlag(Path.Combine(root.LivepatchDir(patch), "transition"));
    public bool? Enabled(string patch) => ReadFlag(Path.Combine(root.LivepatchDir(patch), "enabled"));

    public void SetEnabled(string patch, bool enabled) => WriteAttribute(patch, "enabled", enabled ? "1" : "0");

    /// <summary>Writing 1 to force clears TIF_PATCH_PENDING of every task: the transition ends, and the module can never be removed.</summary>
    public void Force(string patch) => WriteAttribute(patch, "force", "1");

    /// <summary>
    /// Writing 1 to signal sends a fake signal to every task not yet switched; false when the kernel
    /// has no such attribute (before 5.0) or the patch is gone.
    /// </summary>
    public bool Signal(string patch)
    {
        if (!File.Exists(Path.Combine(root.LivepatchDir(patch), "signal"))) return false;
        WriteAttribute(patch, "signal", "1");
        return true;
    }

    private void WriteAttribute(string patch, string attribute, string value)
    {
        string path = Path.Combine(root.LivepatchDir(patch), attribute);
        try
        {
            // sysfs attributes are written in place, in one write, never through a temporary file.
            using var f = new FileStream(path, FileMode.Open, FileAccess.Write);
            f.Write(System.Text.Encoding.ASCII.GetBytes(value + "\n"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new Core.KpkException($"cannot write {value} to {path}: {e.Message}");
        }
    }

    private static bool? ReadFlag(string path)
    {
        try { return File.ReadAllText(path).Trim() == "1"; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
