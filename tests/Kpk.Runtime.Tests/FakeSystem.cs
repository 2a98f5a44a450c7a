using System.Buffers.Binary;
using Kpk.Core;
using Kpk.Runtime;
using Kpk.Tests;

namespace Kpk.Runtime.Tests;

/// <summary>
/// A prepared --root tree standing in for a machine: /proc/sys/kernel/osrelease, /sys/kernel/notes,
/// /proc/PID/task/TID/{patch_state,comm,stack}, and a fake kernel (<see cref="FakeKernel"/>) that
/// makes /sys/kernel/livepatch/NAME and /sys/module/NAME appear and go as the kernel does.
/// Time is virtual (<see cref="Clock"/>): the fake kernel reacts at each of kpk's polls, so what a
/// test sees never depends on how busy the machine is.
/// </summary>
public sealed class FakeSystem : IDisposable
{
    private readonly TempDir _dir = TestPaths.TempDir("kpk-root");

    /// <param name="backgroundKernel">For a kpk run in another process, which cannot share the virtual
    /// clock: the fake kernel then reacts from a timer thread. Use it only where a late reaction costs
    /// time, not the outcome.</param>
    public FakeSystem(string release = Fixtures.Release, bool backgroundKernel = false)
    {
        Root = new SystemRoot(_dir.Path);
        Directory.CreateDirectory(Root.Resolve("/proc/sys/kernel"));
        File.WriteAllText(Root.Resolve("/proc/sys/kernel/osrelease"), release + "\n");
        Directory.CreateDirectory(Root.Livepatch);
        Directory.CreateDirectory(Root.ModulesDir(release));
        Kernel = new FakeKernel(Root, backgroundKernel);
        Clock = new FakeClock(Kernel);
        Work = Path.Combine(_dir.Path, "work");
        Directory.CreateDirectory(Work);
    }

    public SystemRoot Root { get; }
    public FakeKernel Kernel { get; }
    public FakeClock Clock { get; }
    /// <summary>A scratch directory inside the tree for fixtures.</summary>
    public string Work { get; }
    public RecordingReporter Reporter { get; } = new(verbosity: 1);

    public RuntimeContext Context(CancellationToken cancel = default) =>
        new(Root, Kernel, Reporter, cancel) { PollInterval = TimeSpan.FromMilliseconds(10), Clock = Clock };

    /// <summary>/sys/kernel/notes: an ELF note sequence with a GNU build id (type 3), after an unrelated note.</summary>
    public void SetBuildId(string hex)
    {
        using var notes = new MemoryStream();
        WriteNote(notes, "Linux", 6, [1, 2, 3, 4]);
        WriteNote(notes, "GNU", 3, Convert.FromHexString(hex));
        Directory.CreateDirectory(Root.Resolve("/sys/kernel"));
        File.WriteAllBytes(Root.Resolve("/sys/kernel/notes"), notes.ToArray());
    }

    public static void WriteNote(Stream s, string name, uint type, byte[] desc)
    {
        byte[] nameBytes = System.Text.Encoding.ASCII.GetBytes(name + "\0");
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)nameBytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)desc.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], type);
        s.Write(header);
        s.Write(nameBytes);
        s.Write(new byte[(4 - nameBytes.Length % 4) % 4]);
        s.Write(desc);
        s.Write(new byte[(4 - desc.Length % 4) % 4]);
    }

    /// <summary>A task as /proc shows it while a transition runs: patch_state 0 (unpatched) or 1 (patched).</summary>
    public void AddTask(int pid, string comm, int patchState, string? stack = null, int? tid = null)
    {
        string dir = Root.Resolve($"/proc/{pid}/task/{tid ?? pid}");
        Directory.CreateDirectory(dir);
        FakeKernel.WriteAttribute(Path.Combine(dir, "comm"), comm + "\n");
        FakeKernel.WriteAttribute(Path.Combine(dir, "patch_state"), patchState + "\n");
        if (stack != null) FakeKernel.WriteAttribute(Path.Combine(dir, "stack"), stack);
    }

    public string ReadSys(string path) => File.ReadAllText(Root.Resolve(path)).Trim();

    /// <summary>Sets an attribute as the kernel would: readers never see it half-written.</summary>
    public void WriteSys(string path, string value) => FakeKernel.WriteAttribute(Root.Resolve(path), value);

    public void Dispose()
    {
        Kernel.Dispose();
        _dir.Dispose();
    }
}

/// <summary>
/// Virtual time for the runtime's waits: a sleep moves the clock on, runs what a test scheduled for
/// that moment (a Ctrl-C, a task switching) and lets the fake kernel react to what kpk wrote.
/// </summary>
public sealed class FakeClock(FakeKernel kernel) : WaitClock
{
    private readonly List<(TimeSpan At, Action Action)> _scheduled = new();
    private TimeSpan _now;

    public override TimeSpan Now => _now;

    public override void Sleep(TimeSpan interval)
    {
        _now += interval;
        foreach (var due in _scheduled.Where(s => s.At <= _now).ToList())
        {
            _scheduled.Remove(due);
            due.Action();
        }
        kernel.Tick();
    }

    /// <summary>Runs <paramref name="action"/> at the first sleep that reaches <paramref name="after"/> from now.</summary>
    public void At(TimeSpan after, Action action) => _scheduled.Add((_now + after, action));
}

/// <summary>
/// Plays the kernel for a --root tree. Load registers the patch in sysfs as klp_enable_patch does
/// (patch dir with enabled/transition/force, object dirs with patched, "func,sympos" dirs) and, for
/// a replace patch, frees the others' directories. <see cref="Tick"/> is the "kernel thread" reacting to
/// sysfs writes: enabled=0 ends in the patch being freed (its directory removed), force=1 ends a
/// transition, signal=1 is counted (and ends a held transition with <see cref="SignalReleases"/>).
/// The virtual clock calls it at every poll; only a background kernel runs it from a timer.
/// Unload refuses, as the kernel does, while the patch is enabled or after it was forced.
/// </summary>
public sealed class FakeKernel : IModuleLoader, IDisposable
{
    private readonly SystemRoot _root;
    private readonly Timer? _thread;
    private readonly HashSet<string> _forced = new();
    private readonly object _lock = new();

    public FakeKernel(SystemRoot root, bool background = false)
    {
        _root = root;
        if (background) _thread = new Timer(_ => Tick(), null, 5, 5);
    }

    /// <summary>When set, a newly loaded patch stays in transition until forced (tasks hold it).</summary>
    public bool HoldTransitions { get; set; }
    /// <summary>When set, a disabled patch stays in transition (tasks still run the new code).</summary>
    public bool HoldDisable { get; set; }
    /// <summary>When set, writing 1 to a patch's signal attribute lets its held transition finish (the tasks woke up).</summary>
    public bool SignalReleases { get; set; }
    /// <summary>How many times 1 was written to a signal attribute.</summary>
    public int Signals { get; private set; }
    /// <summary>When set, insmod fails with this message.</summary>
    public string? LoadError { get; set; }
    /// <summary>When set, the module loads but registers no live patch (e.g. not a livepatch module).</summary>
    public bool RegisterNothing { get; set; }

    public List<string> Loaded { get; } = new();
    public List<string> Unloaded { get; } = new();

    public void Load(string modulePath)
    {
        if (LoadError != null) throw new KpkException($"loading {modulePath} failed: insmod exited with 1: {LoadError}");
        var module = LivePatchModule.Read(modulePath);
        string name = ModuleName.Normalize(module.Name);
        lock (_lock)
        {
            if (Directory.Exists(_root.SysModule(name))) throw new KpkException($"insmod: ERROR: could not insert module {modulePath}: File exists");
            Directory.CreateDirectory(_root.SysModule(name));
            WriteAttribute(Path.Combine(_root.SysModule(name), "initstate"), "live\n");
            if (module.IsLivepatch) WriteAttribute(Path.Combine(_root.SysModule(name), "taint"), "K\n"); // TAINT_LIVEPATCH
            Loaded.Add(name);
            if (RegisterNothing) return;
            if (module.Replace == true)
                foreach (string other in Directory.GetDirectories(_root.Livepatch)) Directory.Delete(other, true);
            string dir = _root.LivepatchDir(name);
            Directory.CreateDirectory(dir);
            WriteAttribute(Path.Combine(dir, "enabled"), "1\n");
            WriteAttribute(Path.Combine(dir, "transition"), HoldTransitions ? "1\n" : "0\n");
            WriteAttribute(Path.Combine(dir, "force"), "");
            WriteAttribute(Path.Combine(dir, "signal"), "");
            foreach (var obj in module.Objects)
            {
                string objDir = Path.Combine(dir, obj.Name);
                Directory.CreateDirectory(objDir);
                // An object for a module that is not loaded waits, unpatched, for that module.
                WriteAttribute(Path.Combine(objDir, "patched"), obj.Name == "vmlinux" || Directory.Exists(_root.SysModule(obj.Name)) ? "1\n" : "0\n");
                foreach (var f in obj.Functions) Directory.CreateDirectory(Path.Combine(objDir, f.SysfsName));
            }
        }
    }

    public void Unload(string moduleName)
    {
        lock (_lock)
        {
            if (!Directory.Exists(_root.SysModule(moduleName)))
                throw new KpkException($"rmmod: ERROR: Module {moduleName} is not currently loaded");
            string dir = _root.LivepatchDir(moduleName);
            if (_forced.Contains(moduleName) || (Directory.Exists(dir) && File.ReadAllText(Path.Combine(dir, "enabled")).Trim() == "1"))
                throw new KpkException($"rmmod: ERROR: Module {moduleName} is in use");
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
            Directory.Delete(_root.SysModule(moduleName), true);
            Unloaded.Add(moduleName);
        }
    }

    public void Tick()
    {
        lock (_lock)
        {
            if (!Directory.Exists(_root.Livepatch)) return;
            foreach (string dir in Directory.GetDirectories(_root.Livepatch))
            {
                string name = Path.GetFileName(dir);
                try
                {
                    if (File.ReadAllText(Path.Combine(dir, "force")).Trim() == "1")
                    {
                        _forced.Add(name);
                        WriteAttribute(Path.Combine(dir, "force"), "");
                        WriteAttribute(Path.Combine(dir, "transition"), "0\n");
                    }
                    string signal = Path.Combine(dir, "signal");
                    if (File.Exists(signal) && File.ReadAllText(signal).Trim() == "1")
                    {
                        Signals++;
                        WriteAttribute(signal, "");
                        if (SignalReleases) WriteAttribute(Path.Combine(dir, "transition"), "0\n");
                    }
                    if (File.ReadAllText(Path.Combine(dir, "enabled")).Trim() == "0")
                    {
                        if (HoldDisable) WriteAttribute(Path.Combine(dir, "transition"), "1\n");
                        else Directory.Delete(dir, true); // the kernel frees a disabled patch once its transition ends
                    }
                }
                catch (IOException) { }
            }
        }
    }

    /// <summary>sysfs reads never see a torn value; a plain rewrite in a test tree could, so write and rename.</summary>
    public static void WriteAttribute(string path, string value)
    {
        string temp = path + ".fake-tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(temp, value);
        File.Move(temp, path, overwrite: true);
    }

    public void Dispose() => _thread?.Dispose();
}
