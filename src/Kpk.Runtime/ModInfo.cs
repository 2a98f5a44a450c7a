using System.Text;
using Kpk.Core;
using Kpk.Elf;

namespace Kpk.Runtime;

/// <summary>
/// A module's <c>.modinfo</c> section: NUL-separated <c>key=value</c> strings (a key may repeat,
/// e.g. <c>alias</c> or <c>depends</c>). Keys kpk needs get properties of their own.
/// </summary>
public sealed class ModInfo
{
    private readonly List<KeyValuePair<string, string>> _entries;

    private ModInfo(List<KeyValuePair<string, string>> entries) => _entries = entries;

    public IReadOnlyList<KeyValuePair<string, string>> Entries => _entries;

    public string? this[string key] => _entries.FindLast(e => e.Key == key) is { Key: not null } e ? e.Value : null;

    public string? Name => this["name"];
    public string? Vermagic => this["vermagic"];
    public string? Description => this["description"];
    /// <summary>MODULE_INFO(livepatch, "Y") marks a live patch module; the kernel taints with K for it.</summary>
    public bool IsLivepatch => this["livepatch"] == "Y";

    /// <summary>The kernel release a module was built for: the first word of its vermagic.</summary>
    public string? KernelRelease => Vermagic?.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries) is [var release, ..] ? release : null;

    public static ModInfo Parse(ReadOnlySpan<byte> data, string file)
    {
        var entries = new List<KeyValuePair<string, string>>();
        while (!data.IsEmpty)
        {
            int end = data.IndexOf((byte)0);
            var item = end < 0 ? data : data[..end];
            data = end < 0 ? ReadOnlySpan<byte>.Empty : data[(end + 1)..];
            if (item.IsEmpty) continue; // alignment padding between entries
            int eq = item.IndexOf((byte)'=');
            if (eq <= 0)
                throw new KpkException($"{file}: .modinfo entry \"{Encoding.UTF8.GetString(item)}\" is not key=value");
            entries.Add(new(Encoding.UTF8.GetString(item[..eq]), Encoding.UTF8.GetString(item[(eq + 1)..])));
        }
        return new ModInfo(entries);
    }

    public static ModInfo Read(ElfObject module, string file)
    {
        var section = module.FindSection(".modinfo")
            ?? throw new KpkException($"{file}: no .modinfo section; not a kernel module");
        return Parse(section.Data.Span, file);
    }
}
