using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Kpk.Core;
using Kpk.Runtime;

namespace Kpk.Fuzz;

/// <summary>
/// Crafted live patch tarballs through <c>kpk info</c> and <c>kpk apply --root</c> (a prepared root and
/// a loader that only records, never the real kernel): damaged manifests, hostile entry lists
/// (links and link chains, hard links, devices, absolute and ".." names, duplicates), a damaged
/// module inside, and damage to the compressed bytes. Beside the work directory lies "outside/"
/// with a valid module and manifest, the bait a tarball must never reach.
/// </summary>
public sealed class TarballTargets
{
    private readonly string _work;
    private readonly byte[] _module;
    private readonly string _release;
    private readonly string _outside;
    private readonly Random _random;
    private readonly ElfMutator _elf;

    public TarballTargets(string work, byte[] module, string release, Random random)
    {
        _work = work;
        _module = module;
        _release = release;
        _random = random;
        _elf = new ElfMutator(random);
        _outside = Directory.CreateDirectory(Path.Combine(work, "outside")).FullName;
        File.WriteAllBytes(Path.Combine(_outside, "kpk_fixture.ko"), module);
        File.WriteAllText(Path.Combine(_outside, "manifest.json"), ManifestJson().ToJsonString());
    }

    public static readonly string[] Kinds = ["manifest", "entries", "module", "gzip"];

    private JsonObject ManifestJson() => new()
    {
        ["format"] = 1, ["id"] = "fz", ["name"] = "kpk_fixture", ["kernel_release"] = _release,
        ["objects"] = new JsonObject { ["vmlinux"] = new JsonArray("cmdline_proc_show") },
    };

    /// <summary>Writes one crafted tarball; returns its path and what was done to it.</summary>
    public (string Path, string What) Craft(int n)
    {
        string kind = Kinds[_random.Next(Kinds.Length)];
        var manifest = ManifestJson();
        byte[] module = _module;
        var extra = new List<Action<TarWriter>>();
        string what = kind;
        switch (kind)
        {
            case "manifest": what = DamageManifest(manifest); break;
            case "module": (module, what) = _elf.Mutate(_module); what = "module: " + what; break;
            case "entries": what = HostileEntries(extra); break;
        }
        var tar = new MemoryStream();
        using (var w = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "kpk-fz/"));
            // Hostile entries before the real ones, after them, or both.
            int split = _random.Next(extra.Count + 1);
            foreach (var add in extra.Take(split)) Write(w, add);
            Add(w, "kpk-fz/kpk_fixture.ko", module);
            Add(w, "kpk-fz/manifest.json", Encoding.UTF8.GetBytes(manifest.ToJsonString()));
            foreach (var add in extra.Skip(split)) Write(w, add);
        }
        var gz = new MemoryStream();
        using (var g = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) g.Write(tar.ToArray());
        byte[] bytes = gz.ToArray();
        if (kind == "gzip")
        {
            if (_random.Next(2) == 0) { int cut = _random.Next(bytes.Length); bytes = bytes[..cut]; what = $"gzip cut at {cut}"; }
            else { int at = _random.Next(bytes.Length); bytes[at] ^= (byte)(1 << _random.Next(8)); what = $"gzip bit flipped at {at}"; }
        }
        string path = Path.Combine(_work, $"kpk-fz-{n}.tar.gz");
        File.WriteAllBytes(path, bytes);
        return (path, what);
    }

    private static void Write(TarWriter w, Action<TarWriter> add)
    {
        try { add(w); }
        catch (ArgumentException) { } // an entry TarWriter itself will not write
    }

    private static void Add(TarWriter w, string name, byte[] data) =>
        w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });

    private string DamageManifest(JsonObject m)
    {
        string[] fields = ["format", "id", "name", "kernel_release", "objects", "vmlinux_build_id", "replace"];
        string field = fields[_random.Next(fields.Length)];
        JsonNode?[] values =
        [
            null, JsonValue.Create(""), JsonValue.Create(7), JsonValue.Create(true), new JsonArray(), new JsonArray((JsonNode?)null),
            new JsonObject(), JsonValue.Create("../../outside"), JsonValue.Create(new string('a', 5000)), JsonValue.Create("a b,c/d"),
            new JsonObject { ["vmlinux"] = null }, new JsonObject { ["vmlinux"] = new JsonArray() }, new JsonObject { ["vmlinux"] = new JsonArray((JsonNode?)null) },
            new JsonObject { ["../x"] = new JsonArray("f") }, new JsonObject { ["vmlinux"] = new JsonArray("f", "f") }, new JsonObject { ["vmlinux"] = JsonValue.Create("f") },
        ];
        if (_random.Next(5) == 0) { m.Remove(field); return $"manifest without {field}"; }
        var value = values[_random.Next(values.Length)];
        m[field] = value?.DeepClone();
        return $"manifest {field} = {value?.ToJsonString() ?? "null"}";
    }

    private string HostileEntries(List<Action<TarWriter>> extra)
    {
        string[] names =
        [
            "kpk-fz/kpk_fixture.ko", "kpk-fz/manifest.json", "kpk-fz/a/b/c/s", "kpk-fz/x", "kpk-fz/../outside/evil", "/tmp/evil",
            "kpk-fz/./manifest.json", "kpk-fz//manifest.json", "kpk-fz/0001.patch", "other/evil", "kpk-fz", "kpk-fz/kpk_fixture.ko/x",
        ];
        string[] targets =
        [
            "../../../x", "a/b/c/s/../../../../outside/kpk_fixture.ko", "../outside/manifest.json", "/etc/passwd", _outside + "/kpk_fixture.ko",
            "kpk-fz/kpk_fixture.ko", ".", "manifest.json", "../../outside",
        ];
        var types = new[] { TarEntryType.SymbolicLink, TarEntryType.HardLink, TarEntryType.Directory, TarEntryType.RegularFile, TarEntryType.CharacterDevice, TarEntryType.Fifo };
        var described = new List<string>();
        int count = 1 + _random.Next(4);
        for (int i = 0; i < count; i++)
        {
            var type = types[_random.Next(types.Length)];
            string name = names[_random.Next(names.Length)];
            string target = targets[_random.Next(targets.Length)];
            described.Add($"{type} {name}{(type is TarEntryType.SymbolicLink or TarEntryType.HardLink ? " -> " + target : "")}");
            extra.Add(w =>
            {
                var e = new PaxTarEntry(type, type == TarEntryType.Directory ? name + "/" : name);
                if (type is TarEntryType.SymbolicLink or TarEntryType.HardLink) e.LinkName = target;
                if (type == TarEntryType.RegularFile) e.DataStream = new MemoryStream(Encoding.ASCII.GetBytes("owned\n"));
                w.WriteEntry(e);
            });
        }
        return "entries: " + string.Join("; ", described);
    }

    /// <summary>info, then apply on a fresh root; the loader checks what it is handed.</summary>
    public IEnumerable<(string Target, Outcome Outcome, string Detail)> Run(string archive)
    {
        var outsideBefore = Snapshot(_outside);
        var (info, infoDetail) = Judge.Run(archive, null, () => { PatchInfo.Read(archive).WriteText(TextWriter.Null); return Outcome.Accepted; });
        yield return ("info tarball", Escaped(outsideBefore) ?? info, infoDetail);

        string rootDir = Path.Combine(_work, "root");
        if (Directory.Exists(rootDir)) Directory.Delete(rootDir, true);
        Directory.CreateDirectory(Path.Combine(rootDir, "proc/sys/kernel"));
        Directory.CreateDirectory(Path.Combine(rootDir, "sys/kernel/livepatch"));
        File.WriteAllText(Path.Combine(rootDir, "proc/sys/kernel/osrelease"), _release + "\n");
        var root = new SystemRoot(rootDir);
        var loader = new CheckingLoader(root);
        var context = new RuntimeContext(root, loader, NullReporter.Instance) { PollInterval = TimeSpan.FromMilliseconds(1) };
        var (apply, applyDetail) = Judge.Run(archive, null, () => { new PatchApplier(context).Apply(archive, TimeSpan.Zero, false); return Outcome.Accepted; });
        if (loader.Problem != null) (apply, applyDetail) = (Outcome.ReadOrLoadedFromOutside, loader.Problem);
        yield return ("apply tarball", Escaped(outsideBefore) ?? apply, applyDetail);
        if (Directory.GetDirectories(Path.GetTempPath(), $"kpk-unpack-{Environment.ProcessId}-*").Length > 0)
            yield return ("unpack cleanup", Outcome.HalfWritten, "an unpack directory was left behind");
    }

    private Outcome? Escaped(Dictionary<string, long> before) =>
        Snapshot(_outside).Count != before.Count || File.Exists(Path.Combine(_work, "evil")) || File.Exists("/tmp/evil")
            ? Outcome.ReadOrLoadedFromOutside : null;

    private static Dictionary<string, long> Snapshot(string dir) =>
        Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories).ToDictionary(p => p, p => new FileInfo(p).Length);

    /// <summary>Stands in for insmod: the module must be a plain file unpacked from the archive, never reached through a link.</summary>
    private sealed class CheckingLoader(SystemRoot root) : IModuleLoader
    {
        public string? Problem { get; private set; }

        public void Load(string modulePath)
        {
            string full = Path.GetFullPath(modulePath);
            if (!full.StartsWith(Path.Combine(Path.GetTempPath(), "kpk-unpack-"), StringComparison.Ordinal))
                Problem = $"asked to load {full}, which is not in an unpack directory";
            for (string? p = full; p != null && p.Length > Path.GetTempPath().Length; p = Path.GetDirectoryName(p))
                if (new FileInfo(p).LinkTarget != null) Problem = $"asked to load {full} through the link {p}";
            var module = LivePatchModule.Read(modulePath);
            string name = ModuleName.Normalize(module.Name);
            Directory.CreateDirectory(root.SysModule(name));
            string dir = Directory.CreateDirectory(root.LivepatchDir(name)).FullName;
            File.WriteAllText(Path.Combine(dir, "enabled"), "1\n");
            File.WriteAllText(Path.Combine(dir, "transition"), "0\n");
        }

        public void Unload(string moduleName) { }
    }
}
