using Xunit;

namespace Kpk.Wedge.Tests;

/// <summary>
/// Larger generated setups — hundreds of modules with random dependencies, packages depending
/// on each other, names written with "-" for "_" — split by both tools: the trees must agree.
/// </summary>
public class RandomTreeTests
{
    private const string Installed = "6.1.0-9-amd64";

    private static void Generate(WedgeFixture f, int seed)
    {
        var random = new Random(seed);
        bool underUsr = seed % 2 == 1;
        string moduleDir = (underUsr ? "src/usr/lib/modules/" : "src/lib/modules/") + Installed;
        string[] dirs =
        [
            "drivers/net/ethernet/intel", "drivers/net/ethernet/realtek", "drivers/scsi", "drivers/ata",
            "drivers/usb/host", "fs", "lib", "crypto", "sound/core", "drivers/md", "drivers/block",
        ];
        string[] endings = ["a", "b-c", "d_e", "x"];
        var modules = new List<string>();
        for (int i = 0; i < 600; i++)
        {
            string suffix = random.Next(10) == 0 ? ".ko.xz" : ".ko";
            modules.Add($"kernel/{dirs[random.Next(dirs.Length)]}/m{i}_{endings[random.Next(endings.Length)]}{suffix}");
        }
        f.Modules(moduleDir, modules.ToArray());
        f.Write($"{moduleDir}/modules.dep", string.Join("\n", modules.Select(m =>
            m + ":" + string.Concat(modules.OrderBy(_ => random.Next()).Take(random.Next(4)).Where(d => d != m).Select(d => " " + d)))));
        f.Write($"{moduleDir}/modules.builtin", "kernel/fs/builtin.ko");

        var packages = new List<string> { "kernel-image" };
        for (int i = 0; i < 10; i++) packages.Add($"p{i:D2}-modules");
        var templates = new List<string>();
        for (int i = 0; i < packages.Count; i++)
        {
            var deps = i == 0 ? [] : new List<string> { "kernel-image" };
            // Dependencies only on earlier packages: no cycles.
            if (i > 2) deps.AddRange(packages.Skip(1).Take(i - 1).OrderBy(_ => random.Next()).Take(2));
            templates.Add($"Package: {packages[i]}\n" + (deps.Count > 0 ? $"Depends: {string.Join(", ", deps)}\n" : "") + $"Description: {packages[i]}\n");
        }
        f.Write("def/package-list", string.Join("\n", templates));
        f.Write("cfg/package-list", "");
        f.Write("cfg/kernel-versions", "amd64 6.1.0-9 amd64 - - -");
        foreach (var p in packages)
        {
            var lines = new List<string>();
            if (p != "kernel-image")
            {
                foreach (var m in modules.OrderBy(_ => random.Next()).Take(40))
                {
                    string name = Path.GetFileName(m).Replace(".xz", "")[..^3];
                    lines.Add(random.Next(3) == 0 ? name.Replace('_', '-') : name);
                }
                lines.Add($"{dirs[random.Next(dirs.Length)]}/*1* ?");
                lines.Add(modules[random.Next(modules.Count)][7..].Replace(".ko.xz", "").Replace(".ko", "") + " -");
            }
            f.Write($"cfg/modules/amd64/{p}", string.Join("\n", lines));
        }
        f.Write("work/debian/control", "Source: generated\nBuild-Depends: debhelper-compat (= 11)\n\n" +
            string.Join("\n", packages.Select(p => $"Package: {p}-6.1.0-9-amd64-di\nArchitecture: amd64\n")));
        f.Write($"work/debian/kernel-image-{Installed}-di/{(underUsr ? "usr/" : "")}lib/modules/{Installed}/modules.builtin", "");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Generated_trees_split_alike(int seed)
    {
        using var pair = new FixturePair(f => Generate(f, seed));
        pair.AssertSame("copy-modules", "6.1.0-9", "amd64", Installed);
        // kpk also compares the first file in sort order (see ImprovementTests): at most that one pair more.
        var (r, o) = pair.Run(["find-dups", Installed]);
        Assert.Equal(1, o.Exit);
        Assert.EndsWith(r.Out, o.Out);
        var extra = o.Out[..^r.Out.Length].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(extra.Length == 0 || (extra.Length == 2 && extra[0].Split(' ')[1] == extra[1].Split(' ')[1]), o.Out);
        pair.AssertSame("find-unpackaged", Installed, Installed);
        Assert.True(Directory.GetFiles(pair.Ours["work/debian"], "*.ko*", SearchOption.AllDirectories).Length > 300);
    }
}
