using System.Text;
using Kpk.Core;

namespace Kpk.Wedge.Deb;

/// <summary>A file of the control archive (control.tar.xz): "control", "postinst", ...</summary>
public sealed record ControlMember(string Name, int Mode, byte[] Content);

/// <summary>
/// Assembles a binary package in the format dpkg-deb reads: an ar archive holding
/// "debian-binary" (format 2.0), control.tar.xz and data.tar.xz, each tar in GNU format with
/// every entry owned by root/root and dated <c>mtime</c>, so that the same inputs always give
/// the same bytes.
/// </summary>
public static class DebArchive
{
    /// <param name="xzPreset">The xz level of both tar members (<see cref="XzWriter"/>'s presets).</param>
    public static void Write(Stream output, IReadOnlyList<ControlMember> control, PackageTree data, long mtime, uint xzPreset)
    {
        byte[] controlTar = ControlTar(control, mtime);
        byte[] dataTar = DataTar(data, mtime);
        var ar = new ArArchiveWriter(output);
        ar.AddMember("debian-binary", Encoding.ASCII.GetBytes("2.0\n"), mtime);
        ar.AddMember("control.tar.xz", XzWriter.Compress(controlTar, xzPreset), mtime);
        ar.AddMember("data.tar.xz", XzWriter.Compress(dataTar, xzPreset), mtime);
    }

    public static byte[] ControlTar(IReadOnlyList<ControlMember> members, long mtime)
    {
        var ms = new MemoryStream();
        var tar = new TarArchiveWriter(ms);
        tar.AddDirectory("./", 0b111_101_101, mtime);
        foreach (var m in members.OrderBy(m => m.Name, StringComparer.Ordinal))
            tar.AddFile("./" + m.Name, m.Mode, mtime, m.Content);
        tar.Finish();
        return ms.ToArray();
    }

    public static byte[] DataTar(PackageTree tree, long mtime)
    {
        var ms = new MemoryStream();
        var tar = new TarArchiveWriter(ms);
        foreach (var e in tree.Entries)
        {
            switch (e.Kind)
            {
                case FileKind.Directory:
                    tar.AddDirectory(e.ArchiveName, e.Mode, mtime);
                    break;
                case FileKind.Symlink:
                    tar.AddSymlink(e.ArchiveName, e.LinkTarget!, mtime);
                    break;
                case FileKind.Regular when e.IsHardLink:
                    tar.AddHardLink(e.ArchiveName, e.LinkTarget!, e.Mode, mtime);
                    break;
                default:
                    if (e.Size > TarArchiveWriter.MaxEntrySize) throw new KpkException($"{e.Path}: too large for a tar header ({e.Size} bytes)");
                    try
                    {
                        using var stream = new FileStream(e.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                        if (stream.Length != e.Size) throw new KpkException($"{e.Path}: changed size while the package was being built");
                        tar.AddFile(e.ArchiveName, e.Mode, mtime, stream, e.Size);
                    }
                    catch (Exception x) when (x is IOException or UnauthorizedAccessException)
                    {
                        throw new KpkException($"{e.Path}: cannot read: {IoError.Reason(x)}");
                    }
                    break;
            }
        }
        tar.Finish();
        return ms.ToArray();
    }
}
