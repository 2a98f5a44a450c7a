using System.Text;
using Kpk.Core;
using Kpk.Elf;

namespace Kpk.Build;

/// <summary>
/// Which compiler built an object, as it records itself in <c>.comment</c>
/// (e.g. <c>GCC: (Debian 12.2.0-14) 12.2.0</c>). kpk compiles an empty file with the compiler it
/// was told to use, launcher and all, and compares that record with vmlinux's: code from another
/// compiler version may not match the running kernel's.
/// </summary>
public static class CompilerIdentity
{
    /// <summary>The NUL-separated strings of an ELF file's .comment section.</summary>
    public static IReadOnlyList<string> CommentStrings(string elfFile)
    {
        using var image = ElfImage.Open(elfFile);
        int index = image.FindSection(".comment");
        if (index < 0) return [];
        var data = image.SectionData(index).Span;
        var result = new List<string>();
        foreach (var part in Encoding.UTF8.GetString(data).Split('\0', StringSplitOptions.RemoveEmptyEntries))
            if (!result.Contains(part)) result.Add(part);
        return result;
    }

    /// <summary>Compiles an empty translation unit with <paramref name="compiler"/> and reads what it recorded.</summary>
    public static string Probe(IReadOnlyList<string> compiler, string workDir, CancellationToken cancel)
    {
        Directory.CreateDirectory(workDir);
        string src = Path.Combine(workDir, "kpk-cc-probe.c");
        string obj = Path.Combine(workDir, "kpk-cc-probe.o");
        File.WriteAllText(src, "int kpk_cc_probe;\n");
        var r = Tool.Run(compiler[0], [.. compiler.Skip(1), "-c", src, "-o", obj], workDir, cancel);
        if (!r.Ok) throw new KpkException($"the compiler '{string.Join(' ', compiler)}' cannot compile a C file:\n{r.Output.TrimEnd()}");
        var comments = CommentStrings(obj);
        var id = comments.FirstOrDefault(c => c.StartsWith("GCC:", StringComparison.Ordinal) || c.Contains("clang version", StringComparison.Ordinal));
        return id ?? throw new KpkException($"the compiler '{string.Join(' ', compiler)}' records no version in .comment");
    }

    /// <summary>The compiler records of vmlinux (GCC: ..., or clang version ...).</summary>
    public static IReadOnlyList<string> OfVmlinux(string vmlinux) =>
        CommentStrings(vmlinux).Where(c => c.StartsWith("GCC:", StringComparison.Ordinal) || c.Contains("clang version", StringComparison.Ordinal)).ToList();

    /// <summary>Fails, naming both, when the compiler is not the one that built vmlinux.</summary>
    public static void Check(string compilerId, string vmlinux)
    {
        var recorded = OfVmlinux(vmlinux);
        if (recorded.Count == 0)
            throw new KpkException($"{vmlinux}: records no compiler in .comment; use --skip-compiler-check if you are sure the compilers match");
        if (!recorded.Contains(compilerId))
            throw new KpkException($"compiler mismatch: {vmlinux} was built by \"{string.Join("\", \"", recorded)}\" but the compiler is \"{compilerId}\" " +
                                   "(use --cc to choose the right one, or --skip-compiler-check)");
    }

    /// <summary>
    /// Without vmlinux (kallsyms only), the kernel's config says which compiler built it
    /// (CONFIG_CC_VERSION_TEXT="gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0"). The program's name
    /// is how it was called, not which compiler it is ("gcc-12" and "gcc" are one compiler): what
    /// counts is the version after it, which .comment records as "GCC: (Debian 12.2.0-14+deb12u1) 12.2.0".
    /// </summary>
    public static void CheckConfig(string compilerId, string configFile)
    {
        string? text = Kbuild.ConfigValue(configFile, "CONFIG_CC_VERSION_TEXT");
        if (string.IsNullOrEmpty(text))
            throw new KpkException($"{configFile}: records no compiler (CONFIG_CC_VERSION_TEXT); use --skip-compiler-check if you are sure the compilers match");
        if (VersionPart(text) != VersionPart(compilerId))
            throw new KpkException($"compiler mismatch: the kernel was built by \"{text}\" ({configFile}) but the compiler is \"{compilerId}\" " +
                                   "(use --cc to choose the right one, or --skip-compiler-check)");
    }

    /// <summary>"gcc-12 (Debian 12.2.0-14) 12.2.0" and "GCC: (Debian 12.2.0-14) 12.2.0" → "(Debian 12.2.0-14) 12.2.0"; clang from "clang version".</summary>
    public static string VersionPart(string s)
    {
        int clang = s.IndexOf("clang version", StringComparison.Ordinal);
        if (clang >= 0) return s[clang..].Split(' ').Take(3).Aggregate((a, b) => a + " " + b);
        int paren = s.IndexOf('(');
        return (paren >= 0 ? s[paren..] : s).Trim();
    }
}
