using System.Buffers.Binary;

namespace Kpk.Runtime;

/// <summary>
/// The running kernel's identity: its release (<c>/proc/sys/kernel/osrelease</c>, what <c>uname -r</c>
/// prints) and the GNU build id of its vmlinux (from <c>/sys/kernel/notes</c>, the kernel's ELF notes).
/// </summary>
public sealed class RunningKernel(SystemRoot root)
{
    public string Release
    {
        get
        {
            string path = root.Resolve("/proc/sys/kernel/osrelease");
            try { return File.ReadAllText(path).Trim(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new Core.KpkException($"cannot read the running kernel's release from {path}: {e.Message}");
            }
        }
    }

    /// <summary>The build id as lowercase hex, or null when /sys/kernel/notes is missing or unreadable.</summary>
    public string? BuildId
    {
        get
        {
            byte[] notes;
            try { notes = File.ReadAllBytes(root.Resolve("/sys/kernel/notes")); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
            return ElfNotes.FindGnuBuildId(notes);
        }
    }
}

/// <summary>Walks a sequence of ELF notes (namesz, descsz, type, name, desc; each padded to 4 bytes).</summary>
public static class ElfNotes
{
    private const uint GnuBuildIdType = 3;

    public static string? FindGnuBuildId(ReadOnlySpan<byte> notes)
    {
        int pos = 0;
        while (notes.Length - pos >= 12)
        {
            uint nameSize = BinaryPrimitives.ReadUInt32LittleEndian(notes[pos..]);
            uint descSize = BinaryPrimitives.ReadUInt32LittleEndian(notes[(pos + 4)..]);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(notes[(pos + 8)..]);
            long nameStart = pos + 12L, descStart = nameStart + Align4(nameSize), next = descStart + Align4(descSize);
            if (descStart + descSize > notes.Length) return null; // truncated: no trustworthy id
            if (type == GnuBuildIdType && nameSize == 4 && notes.Slice((int)nameStart, 4).SequenceEqual("GNU\0"u8))
                return Convert.ToHexStringLower(notes.Slice((int)descStart, (int)descSize));
            if (next > notes.Length) return null;
            pos = (int)next;
        }
        return null;
    }

    private static long Align4(uint size) => (size + 3L) & ~3L;
}
