namespace Kpk.Diff;

/// <summary>
/// Compiler-made names carry numbers that change from build to build: <c>foo.isra.0</c>,
/// <c>foo.constprop.3</c>, <c>__key.12345</c>, <c>foo.cold.7</c>. Names are matched across the two
/// objects by a key with every <c>.DIGITS</c> run removed. String-literal sections
/// (<c>.rodata.str1.1</c>) look numbered but are not, and keep their names.
/// </summary>
public static class Mangling
{
    public static string Key(string name)
    {
        if (name.StartsWith("__UNIQUE_ID_", StringComparison.Ordinal)) name = StripUniqueIdNumber(name);
        if (name.Contains(".str1.", StringComparison.Ordinal) || name.IndexOf('.') < 0) return name;
        var sb = new System.Text.StringBuilder(name.Length);
        for (int i = 0; i < name.Length; i++)
        {
            if (name[i] == '.' && i + 1 < name.Length && char.IsAsciiDigit(name[i + 1]))
            {
                i++;
                while (i + 1 < name.Length && char.IsAsciiDigit(name[i + 1])) i++;
                continue;
            }
            sb.Append(name[i]);
        }
        return sb.ToString();
    }

    /// <summary><c>__UNIQUE_ID_ddebug123</c> → <c>__UNIQUE_ID_ddebug</c>: __COUNTER__ moves when code above it changes.</summary>
    private static string StripUniqueIdNumber(string name)
    {
        int dot = name.IndexOf('.');
        int end = dot < 0 ? name.Length : dot;
        int start = end;
        while (start > "__UNIQUE_ID_".Length && char.IsAsciiDigit(name[start - 1])) start--;
        return name[..start] + name[end..];
    }

    public static bool SameIgnoringNumbers(string a, string b) => a == b || Key(a) == Key(b);
}
