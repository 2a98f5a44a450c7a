using System.IO.Compression;
using Kpk.Core;

namespace Kpk.Series.Apply;

/// <summary>
/// GNU patch as sequence-patch and quilt call it: <c>-p1</c>, <c>-E</c> (remove files a patch
/// empties), <c>--force</c> (never ask), a fuzz factor, rejects into one file outside the tree.
/// Patches may be compressed (.gz, .bz2, .xz), as quilt allows.
/// </summary>
internal sealed class GnuPatch
{
    private readonly string _program;
    private readonly int _fuzz;

    private GnuPatch(string program, int fuzz) => (_program, _fuzz) = (program, fuzz);

    /// <summary>Finds GNU patch on PATH; refuses another patch, whose options differ.</summary>
    public static GnuPatch Find(int fuzz)
    {
        string program = ExternalTool.Find("patch") ?? throw new KpkException("series apply needs GNU patch (apt-get install patch)");
        var version = ExternalTool.Run(program, ["--version"], Environment.CurrentDirectory);
        if (!version.Output.StartsWith("GNU patch", StringComparison.Ordinal))
            throw new KpkException($"{program} is not GNU patch; series apply needs GNU patch 2.7 or later");
        return new GnuPatch(program, fuzz);
    }

    private List<string> CommonArgs(string rejectFile) =>
        ["-p1", "-E", "--force", $"-F{_fuzz}", "--no-backup-if-mismatch", "--read-only=ignore", "-r", rejectFile];

    /// <summary>
    /// Applies one patch in TREE, backing up every file it touches under <c>.pc/NAME/</c> the way
    /// quilt does (an empty backup stands for a file that did not exist).
    /// </summary>
    public ToolRun ApplyWithBackup(string tree, string patchFile, string backupPrefix, string rejectFile)
    {
        var args = CommonArgs(rejectFile);
        args.AddRange(["--backup", "--prefix=" + backupPrefix]);
        if (Decompressor(patchFile) == null)
        {
            args.AddRange(["-i", patchFile]);
            return ExternalTool.Run(_program, args, tree);
        }
        byte[] text = Read(patchFile); // decompressed before patch starts, so a bad archive never half-applies
        return ExternalTool.Run(_program, args, tree, feed: input => input.Write(text));
    }

    /// <summary>Applies many patches in one pass (no backups): --fast. Cancellation kills patch.</summary>
    public ToolRun ApplyAll(string tree, IReadOnlyList<string> patchFiles, string rejectFile, CancellationToken cancel)
    {
        return ExternalTool.Run(_program, CommonArgs(rejectFile), tree, feed: input =>
        {
            foreach (string file in patchFiles)
            {
                if (cancel.IsCancellationRequested) return;
                CopyPatch(file, input);
            }
        }, cancel, killOnCancel: true);
    }

    private static string? Decompressor(string file) =>
        file.EndsWith(".gz", StringComparison.Ordinal) ? "gzip"
        : file.EndsWith(".bz2", StringComparison.Ordinal) ? "bzip2"
        : file.EndsWith(".xz", StringComparison.Ordinal) ? "xz"
        : null;

    /// <summary>Writes a patch's text (decompressed) to patch's input, ending it with a newline so patches never run together.</summary>
    private static void CopyPatch(string file, Stream input)
    {
        byte[] text = Read(file);
        input.Write(text);
        if (text.Length > 0 && text[^1] != (byte)'\n') input.WriteByte((byte)'\n');
    }

    private static byte[] Read(string file)
    {
        switch (Decompressor(file))
        {
            case null:
                return File.ReadAllBytes(file);
            case "gzip":
                using (var f = File.OpenRead(file))
                using (var gz = new GZipStream(f, CompressionMode.Decompress))
                using (var buffer = new MemoryStream())
                {
                    try { gz.CopyTo(buffer); }
                    catch (InvalidDataException e) { throw new KpkException($"{file}: not gzip data: {e.Message}"); }
                    return buffer.ToArray();
                }
            case var tool:
                string program = ExternalTool.Find(tool) ?? throw new KpkException($"{file}: reading it needs {tool}");
                var run = ExternalToolBytes.Run(program, ["-dc", file]);
                if (run.ExitCode != 0) throw new KpkException($"{file}: {tool} could not decompress it: {run.Error.TrimEnd()}");
                return run.Output;
        }
    }
}

/// <summary>Runs a decompressor and keeps its binary output.</summary>
internal static class ExternalToolBytes
{
    public sealed record Result(int ExitCode, byte[] Output, string Error);

    public static Result Run(string program, string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var error = p.StandardError.ReadToEndAsync();
        using var buffer = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(buffer);
        p.WaitForExit();
        return new Result(p.ExitCode, buffer.ToArray(), error.Result);
    }
}
