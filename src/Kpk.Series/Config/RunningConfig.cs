using System.IO.Compression;
using Kpk.Core;

namespace Kpk.Series.Config;

/// <summary>The running kernel's config and where it was found.</summary>
public sealed record FoundConfig(string Text, string Source);

/// <summary>
/// <c>kpk config running</c>: the config of the running kernel, from <c>/proc/config.gz</c> (the
/// kernel's own copy, CONFIG_IKCONFIG_PROC) or else <c>/boot/config-RELEASE</c> for the running
/// release (<c>/proc/sys/kernel/osrelease</c>, what <c>uname -r</c> prints). ROOT stands for /,
/// so tests and chroots can use a prepared tree.
/// </summary>
public static class RunningConfig
{
    public static FoundConfig Read(string root)
    {
        string proc = Under(root, "proc/config.gz");
        if (File.Exists(proc))
        {
            try
            {
                using var file = File.OpenRead(proc);
                using var gz = new GZipStream(file, CompressionMode.Decompress);
                using var reader = new StreamReader(gz);
                return new FoundConfig(reader.ReadToEnd(), proc);
            }
            catch (InvalidDataException e) { throw new KpkException($"{proc}: not gzip data: {e.Message}"); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new KpkException($"{proc}: cannot read: {e.Message}");
            }
        }
        string releaseFile = Under(root, "proc/sys/kernel/osrelease");
        string release;
        try { release = File.ReadAllText(releaseFile).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"no {proc} (the kernel lacks CONFIG_IKCONFIG_PROC, or try 'modprobe configs') and the running release is unknown: {releaseFile}: {e.Message}");
        }
        string boot = Under(root, $"boot/config-{release}");
        try { return new FoundConfig(File.ReadAllText(boot), boot); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new KpkException($"no config for the running kernel {release}: neither {proc} (CONFIG_IKCONFIG_PROC; try 'modprobe configs') nor {boot} exists");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException($"{boot}: cannot read: {e.Message}");
        }
    }

    private static string Under(string root, string relative) => Path.Combine(Path.GetFullPath(root), relative);
}
