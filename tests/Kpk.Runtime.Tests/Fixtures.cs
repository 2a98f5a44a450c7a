using Kpk.Core;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Kpk.Runtime;

namespace Kpk.Runtime.Tests;

/// <summary>
/// Builds test modules without a kernel: gcc compiles a C file that lays out the klp structures as
/// the kernel does (Fixtures/*.c), and objcopy attaches a .modinfo, as modpost would.
/// </summary>
public static class Fixtures
{
    public const string Release = "6.1.0-kpktest";
    public const string Vermagic = Release + " SMP preempt mod_unload modversions ";

    public static string Source(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    /// <summary>Compiles <paramref name="source"/> into <paramref name="dir"/>/NAME.ko with the given .modinfo.</summary>
    public static string Module(string dir, string name, string source = "klp_patch.c", string? vermagic = Vermagic,
        bool livepatch = true, string description = "fixture patch", bool replace = false, string cflags = "-O2", string? supported = null)
    {
        string obj = Path.Combine(dir, name + ".o");
        Run("gcc", $"-c {cflags} -DREPLACE={(replace ? 1 : 0)} -o {obj} {Source(source)}");
        var modinfo = new StringBuilder();
        modinfo.Append($"license=GPL\0name={name}\0");
        if (vermagic != null) modinfo.Append($"vermagic={vermagic}\0");
        if (livepatch) modinfo.Append("livepatch=Y\0");
        modinfo.Append($"description={description}\0");
        if (supported != null) modinfo.Append($"supported={supported}\0");
        string info = Path.Combine(dir, name + ".modinfo");
        File.WriteAllText(info, modinfo.ToString());
        string ko = Path.Combine(dir, name + ".ko");
        Run("objcopy", $"--add-section .modinfo={info} --set-section-flags .modinfo=alloc,readonly {obj} {ko}");
        File.Delete(obj);
        File.Delete(info);
        return ko;
    }

    public static PatchManifest Manifest(string name, string id = "20261122-abc", string? buildId = null, bool replace = false) => new()
    {
        Id = id,
        Name = name,
        Description = "fixes cmdline and meminfo",
        KernelRelease = Release,
        VmlinuxBuildId = buildId,
        Compiler = "gcc (Debian 12.2.0-14) 12.2.0",
        Replace = replace,
        Objects = new Dictionary<string, string[]> { ["vmlinux"] = ["cmdline_proc_show", "meminfo_proc_show"], ["ext4"] = ["ext4_sync_fs"] },
        KpkVersion = "0.1.0",
        Created = new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero),
    };

    /// <summary>kpk-ID.tar.gz as kpk create makes it: kpk-ID/NAME.ko, kpk-ID/*.patch, kpk-ID/manifest.json.</summary>
    public static string Tarball(string dir, string ko, PatchManifest manifest)
    {
        string path = Path.Combine(dir, $"kpk-{manifest.Id}.tar.gz");
        string top = $"kpk-{manifest.Id}/";
        WriteTarball(path, w =>
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, top));
            AddFile(w, top + manifest.Name + ".ko", File.ReadAllBytes(ko));
            AddFile(w, top + "0001-fix.patch", Encoding.UTF8.GetBytes("--- a/fs/proc/cmdline.c\n+++ b/fs/proc/cmdline.c\n"));
            AddFile(w, top + PatchManifest.FileName, Encoding.UTF8.GetBytes(manifest.ToJson()));
        });
        return path;
    }

    public static void WriteTarball(string path, Action<TarWriter> entries)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var writer = new TarWriter(gzip, TarEntryFormat.Pax);
        entries(writer);
    }

    /// <summary>A tarball with one ustar file entry whose header claims <paramref name="size"/> bytes (the data is not there).</summary>
    public static void WriteTarballClaimingSize(string path, string name, long size)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Ustar, leaveOpen: true))
            writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream([1]) });
        byte[] bytes = tar.ToArray();
        Encoding.ASCII.GetBytes(Convert.ToString(size, 8).PadLeft(11, '0') + "\0").CopyTo(bytes, 124);
        "        "u8.ToArray().CopyTo(bytes, 148);
        int sum = bytes.Take(512).Sum(b => b);
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(bytes, 148);
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(bytes);
    }

    public static void AddFile(TarWriter writer, string name, byte[] data)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) };
        writer.WriteEntry(entry);
    }

    public static string Run(string tool, string arguments)
    {
        var start = new ProcessStartInfo(tool, arguments) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(start)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{tool} {arguments} failed: {err.Result}");
        return output;
    }
}
