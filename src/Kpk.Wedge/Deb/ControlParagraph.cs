using System.Text;
using Kpk.Core;

namespace Kpk.Wedge.Deb;

/// <summary>One field of a control paragraph, with the line it started on for error messages.</summary>
public sealed record ControlField(string Name, string Value, int Line);

/// <summary>
/// A paragraph (stanza) of a deb822 control file: fields in their order, names compared without
/// regard to case. Multi-line values are kept the way dpkg keeps them: continuation lines joined
/// with "\n", each without its first space, and a lone "." standing for an empty line.
/// </summary>
public sealed class ControlParagraph
{
    private readonly List<ControlField> _fields = new();

    public ControlParagraph(string file, int line)
    {
        File = file;
        Line = line;
    }

    public string File { get; }
    public int Line { get; }
    public IReadOnlyList<ControlField> Fields => _fields;

    public string? this[string name] => Find(name)?.Value;

    public ControlField? Find(string name) =>
        _fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));

    public bool Has(string name) => Find(name) != null;

    public void Set(string name, string value, int line = 0)
    {
        int i = _fields.FindIndex(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));
        var field = new ControlField(i >= 0 ? _fields[i].Name : name, value, i >= 0 && line == 0 ? _fields[i].Line : line);
        if (i >= 0) _fields[i] = field;
        else _fields.Add(field);
    }

    public void Remove(string name) =>
        _fields.RemoveAll(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Parses every paragraph of a control file (comments allowed, as in debian/control).</summary>
    public static IReadOnlyList<ControlParagraph> ParseAll(string text, string file)
    {
        var paragraphs = new List<ControlParagraph>();
        ControlParagraph? current = null;
        string? lastField = null;
        var lines = text.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            int lineNo = n + 1;
            string line = lines[n].TrimEnd();
            if (line.Length == 0)
            {
                current = null;
                lastField = null;
                continue;
            }
            if (line[0] == '#') continue;
            if (char.IsWhiteSpace(line[0]))
            {
                if (current == null || lastField == null)
                    throw new KpkException($"{file}:{lineNo}: continued value line not in field");
                string more = line[1..];
                if (more.All(c => c == '.')) more = more[1..];
                current.Set(lastField, current[lastField] + "\n" + more);
                continue;
            }
            int colon = line.IndexOf(':');
            if (colon <= 0)
                throw new KpkException($"{file}:{lineNo}: line with unknown format (not field-colon-value)");
            string name = line[..colon].TrimEnd();
            if (name.Any(char.IsWhiteSpace) || name.Length == 0)
                throw new KpkException($"{file}:{lineNo}: line with unknown format (not field-colon-value)");
            if (name[0] == '-')
                throw new KpkException($"{file}:{lineNo}: field cannot start with a hyphen");
            if (current == null)
            {
                current = new ControlParagraph(file, lineNo);
                paragraphs.Add(current);
            }
            if (current.Has(name))
                throw new KpkException($"{file}:{lineNo}: duplicate field {name} found");
            current.Set(name, line[(colon + 1)..].TrimStart(), lineNo);
            lastField = name;
        }
        return paragraphs;
    }

    /// <summary>Formats one field as dpkg writes it: continuation lines indented by one space, empty ones as " .".</summary>
    public static string FormatField(string name, string value)
    {
        var sb = new StringBuilder();
        var lines = value.Split('\n');
        sb.Append(name).Append(':');
        if (lines[0].Length > 0) sb.Append(' ').Append(lines[0]);
        sb.Append('\n');
        foreach (var raw in lines.Skip(1))
        {
            string l = raw.TrimEnd();
            if (l.Length == 0 || l.All(c => c == '.')) sb.Append(" .").Append(l).Append('\n');
            else sb.Append(' ').Append(l).Append('\n');
        }
        return sb.ToString();
    }
}
