using System.Text;

namespace Kpk.Series.Guards;

/// <summary>
/// guards(1) is a perl script that sees its input, arguments and file names as bytes. To give the
/// same answers for any bytes (not only valid UTF-8), kpk carries such text as strings in which
/// each char is one byte (Latin-1), and converts only at the edges: arguments and file names
/// (which .NET hands over as UTF-8 decoded strings) and the streams.
/// </summary>
public static class ByteText
{
    /// <summary>Bytes to a one-char-per-byte string.</summary>
    public static string FromBytes(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    /// <summary>A one-char-per-byte string back to its bytes.</summary>
    public static byte[] ToBytes(string text) => Encoding.Latin1.GetBytes(text);

    /// <summary>A .NET string (an argument, a file name) as the bytes the OS had: its UTF-8 form.</summary>
    public static string FromUnicode(string text) => FromBytes(Encoding.UTF8.GetBytes(text));

    /// <summary>A byte string as a path .NET file APIs accept (the inverse of <see cref="FromUnicode"/>).</summary>
    public static string ToUnicode(string text) => Encoding.UTF8.GetString(ToBytes(text));

    /// <summary>Perl's <c>\s</c> on byte strings: ASCII white space only (not 0x85 or 0xA0).</summary>
    public static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\f' or '\v';

    /// <summary>Splits at <c>\n</c> as perl's readline does, then drops each line's <c>\n</c> (chomp).</summary>
    public static List<string> ChompedLines(string text)
    {
        var lines = new List<string>();
        int start = 0;
        while (start < text.Length)
        {
            int nl = text.IndexOf('\n', start);
            if (nl < 0)
            {
                lines.Add(text[start..]);
                break;
            }
            lines.Add(text[start..nl]);
            start = nl + 1;
        }
        return lines;
    }
}
