using System.Text;

namespace Kpk.Wedge.Deb;

/// <summary>
/// Writes a common-format Unix <c>ar</c> archive, the outer container of a .deb/.udeb: the
/// global magic, then per member a 60-byte text header and the data, padded to an even offset
/// with a newline. Names are stored the way dpkg-deb stores them (no trailing slash, no GNU
/// long-name table), so they are limited to 15 bytes; owner and group are always 0.
/// </summary>
public sealed class ArArchiveWriter
{
    public const string Magic = "!<arch>\n";
    private const int HeaderSize = 60;
    private readonly Stream _output;

    public ArArchiveWriter(Stream output)
    {
        _output = output;
        _output.Write(Encoding.ASCII.GetBytes(Magic));
    }

    public void AddMember(string name, ReadOnlySpan<byte> data, long mtime, int mode = 0b110_100_100)
    {
        if (name.Length == 0 || name.Length > 15 || name.Any(c => c <= ' ' || c > '~' || c == '/'))
            throw new ArgumentException($"ar member name '{name}' must be 1-15 printable characters without '/'", nameof(name));
        if (mtime < 0) throw new ArgumentOutOfRangeException(nameof(mtime), "ar member time must not be negative");
        var header = new StringBuilder(HeaderSize);
        header.Append(Field(name, 16));
        header.Append(Field(mtime.ToString(System.Globalization.CultureInfo.InvariantCulture), 12));
        header.Append(Field("0", 6));
        header.Append(Field("0", 6));
        header.Append(Field("100" + Convert.ToString(mode & 0xFFF, 8).PadLeft(3, '0'), 8));
        header.Append(Field(data.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), 10));
        header.Append("`\n");
        _output.Write(Encoding.ASCII.GetBytes(header.ToString()));
        _output.Write(data);
        if ((data.Length & 1) != 0) _output.WriteByte((byte)'\n');
    }

    private static string Field(string value, int width)
    {
        if (value.Length > width) throw new ArgumentException($"ar header value '{value}' does not fit in {width} bytes");
        return value.PadRight(width, ' ');
    }
}
