using Kpk.Core;

namespace Kpk.Runtime.WeakUpdates;

/// <summary>
/// kmod's depmod, run for one kernel under the root. depmod's <c>-b</c> moves only the module
/// directories, not its configuration, so under another root the root's depmod.d directories are
/// named with <c>-C</c> (which replaces the host's).
/// </summary>
public sealed class Depmod(string tool = "depmod")
{
    public static readonly string[] ConfigDirectories = ["/etc/depmod.d", "/run/depmod.d", "/usr/local/lib/depmod.d", "/lib/depmod.d"];

    public IReadOnlyList<string> Arguments(SystemRoot root, string release)
    {
        var args = new List<string>();
        if (!root.IsLive)
        {
            args.AddRange(["-b", root.Directory]);
            foreach (string dir in ConfigDirectories.Select(root.Resolve).Where(Directory.Exists))
                args.AddRange(["-C", dir]);
        }
        args.Add(release);
        return args;
    }

    public void Run(SystemRoot root, string release, bool dryRun, IReporter reporter)
    {
        var args = Arguments(root, release);
        reporter.Info($"{release}: {(dryRun ? "would run" : "running")} {tool} {string.Join(' ', args)}");
        if (dryRun) return;
        string warnings = KmodTool.Run(tool, args, $"depmod for {release}");
        foreach (string line in warnings.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            reporter.Detail(line);
    }
}

/// <summary>
/// depmod must prefer a kernel's own updates/ over weak-updates/, and weak-updates/ over the kernel's
/// modules: kpk keeps that order in a depmod.d file of its own, as SUSE's 00-system.conf does.
/// </summary>
public static class DepmodSearchOrder
{
    public const string File = "/etc/depmod.d/00-kpk-weak-updates.conf";
    public const string Line = "search updates weak-updates built-in";

    public static string Text => "# kpk weak-updates: a kernel's own updates, then modules of other kernels it is compatible with, then its own.\n" + Line + "\n";

    public static void Ensure(SystemRoot root, bool dryRun, IReporter reporter)
    {
        string path = root.Resolve(File);
        if (System.IO.File.Exists(path) && System.IO.File.ReadAllText(path) == Text) return;
        reporter.Info($"{(dryRun ? "would write" : "writing")} {File}: {Line}");
        if (dryRun) return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllText(path, Text);
    }
}
