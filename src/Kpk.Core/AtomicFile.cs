namespace Kpk.Core;

/// <summary>
/// Writes a file so that readers see either the old file or the complete new one, never a
/// half-written output: the content goes to a temporary sibling that is renamed into place only
/// after it was written in full. A failure (or an exception from the writer) removes the temporary.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        // Checked before anything is written: rename(2) would only fail at the end, and with "Is a directory".
        if (Directory.Exists(full) || Path.EndsInDirectorySeparator(path))
            throw new KpkException($"{path}: is a directory; name the file to write");
        string dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir))
            throw new KpkException($"{path}: directory {dir} does not exist");
        string temp = Path.Combine(dir, $".{Path.GetFileName(full)}.kpk-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = Guard(path, () => new FileStream(temp, FileMode.CreateNew, FileAccess.Write)))
            {
                write(stream);
                stream.Flush(flushToDisk: false);
            }
            Guard(path, () => { File.Move(temp, full, overwrite: true); return 0; });
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>The file system's own refusals (permissions, a full disk) become errors naming the output; the writer's own exceptions pass unchanged.</summary>
    private static T Guard<T>(string path, Func<T> action)
    {
        try { return action(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{path}: cannot write: {e.Message}", ExitCodes.Error, e);
        }
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); });

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
