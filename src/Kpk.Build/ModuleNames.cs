using System.Security.Cryptography;
using System.Text;
using Kpk.Core;

namespace Kpk.Build;

/// <summary>Names of patch modules and patch ids.</summary>
public static class ModuleNames
{
    /// <summary>MODULE_NAME_LEN is 64 - sizeof(unsigned long) = 56 on 64-bit, including the NUL.</summary>
    public const int MaxLength = 55;

    /// <summary>
    /// A module name from a patch file name: the extension (.patch, .diff) dropped, every character
    /// a module name cannot hold turned into '_' ('-' too: kbuild would turn it into '_' in the
    /// module's own name, and NAME.ko should match it), at most <see cref="MaxLength"/> characters.
    /// </summary>
    public static string FromPatchFile(string path)
    {
        string name = Path.GetFileName(path);
        foreach (var ext in new[] { ".patch", ".diff", ".debdiff" })
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase) && name.Length > ext.Length)
            {
                name = name[..^ext.Length];
                break;
            }
        return Sanitize(name);
    }

    public static string Sanitize(string raw)
    {
        var sb = new StringBuilder(raw.Length);
        foreach (char c in raw)
        {
            char d = char.IsAsciiLetterOrDigit(c) ? c : '_';
            if (d == '_' && sb.Length > 0 && sb[^1] == '_') continue;
            sb.Append(d);
        }
        string name = sb.ToString().Trim('_');
        if (name.Length == 0) name = "kpk_patch";
        if (name.Length > MaxLength) name = name[..MaxLength].TrimEnd('_');
        return name;
    }

    /// <summary>
    /// Checks a name given with -n; the error says what is wrong. '-' is allowed, as kbuild allows it
    /// in a module's file name (kpatch-build's livepatch-NAME.ko): the module itself is then called
    /// with '_' in its place, which is how sysfs and kpk's runtime verbs name it.
    /// </summary>
    public static string Validate(string name)
    {
        if (name.Length == 0) throw new KpkException("-n: the module name is empty");
        if (name.Length > MaxLength)
            throw new KpkException($"-n {name}: a module name has at most {MaxLength} characters (this one has {name.Length})");
        foreach (char c in name)
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-'))
                throw new KpkException($"-n {name}: '{c}' cannot be in a module name (letters, digits, '_' and '-' only)");
        if (name[0] == '-') throw new KpkException($"-n {name}: a module name cannot start with '-'");
        return name;
    }

    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>8 random characters, as the default patch id.</summary>
    public static string RandomId()
    {
        Span<char> id = stackalloc char[8];
        for (int i = 0; i < id.Length; i++) id[i] = IdAlphabet[RandomNumberGenerator.GetInt32(IdAlphabet.Length)];
        return new string(id);
    }

    /// <summary>An id given with --id goes into file names (kpk-ID.tar.gz): keep it to a safe alphabet.</summary>
    public static string ValidateId(string id)
    {
        if (id.Length == 0 || id.Length > 64)
            throw new KpkException($"--id '{id}': an id has 1 to 64 characters");
        foreach (char c in id)
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-' or '.') || id.StartsWith('.'))
                throw new KpkException($"--id '{id}': use letters, digits, '_', '-' and '.' (not first)");
        return id;
    }
}
