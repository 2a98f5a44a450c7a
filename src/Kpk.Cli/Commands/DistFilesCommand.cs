using System.CommandLine;
using System.IO.Compression;
using System.Text;
using Kpk.Build;
using Kpk.Cli.Docs;
using Kpk.Core;
using Kpk.Runtime;

namespace Kpk.Cli.Commands;

/// <summary>
/// <c>kpk dist-files DIR</c> (hidden; scripts/build-deb runs it): writes the files of the kpk
/// package that come from kpk itself into the staged tree DIR: the man pages (gzip -9n), the bash
/// completion and the boot unit, all from the same definitions kpk runs with.
/// </summary>
public static class DistFilesCommand
{
    public static Command Create(RootCommand root)
    {
        var dir = new Argument<string>("DIR") { Description = "The staged package tree (its usr/ is written)" };
        var cmd = new Command("dist-files", "Write kpk's man pages, bash completion and kpk.service into a staged package tree") { dir };
        cmd.Hidden = true;
        cmd.SetAction(pr =>
        {
            string stage = pr.GetValue(dir)!;
            if (!Directory.Exists(stage)) throw new KpkException($"{stage}: no such directory");
            string version = KpkVersion.Current;
            WriteManPage(stage, "kpk.1", ManPages.Overview(root, version));
            foreach (var verb in ManPages.Verbs(root)) WriteManPage(stage, ManPages.PageName(verb), ManPages.Verb(verb, version));
            Write(Path.Combine(stage, "usr/share/bash-completion/completions/kpk"), Encoding.UTF8.GetBytes(BashCompletion.Script(root)));
            Write(Path.Combine(stage, KpkUnit.PackagedPath.TrimStart('/')), Encoding.UTF8.GetBytes(KpkUnit.Render("/usr/bin/kpk", "the kpk package")));
            return 0;
        });
        return cmd;
    }

    /// <summary>As Debian policy wants man pages: gzip at the highest level, no name or time in the header (gzip -9n).</summary>
    private static void WriteManPage(string stage, string page, string roff)
    {
        string section = page[(page.LastIndexOf('.') + 1)..];
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
            gzip.Write(Encoding.UTF8.GetBytes(roff));
        Write(Path.Combine(stage, $"usr/share/man/man{section}/{page}.gz"), compressed.ToArray());
    }

    private static void Write(string path, byte[] content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.Write(path, s => s.Write(content));
    }
}
