namespace Kpk.Tests;

/// <summary>
/// Debian's cross toolchains for the architectures other than the host's (x86_64), which the
/// tests use to make and check ppc64le and aarch64 objects. A missing one fails the test naming
/// its package: never a silent skip.
/// </summary>
public static class CrossTools
{
    /// <summary>The binutils/gcc prefix for objects of an architecture ("" for x86_64).</summary>
    public static string Prefix(string arch) => arch switch
    {
        "x86_64" => "",
        "ppc64le" => "powerpc64le-linux-gnu-",
        "aarch64" => "aarch64-linux-gnu-",
        _ => throw new ArgumentException($"no cross tools known for {arch}"),
    };

    /// <summary>The tool's command name; fails naming the Debian package when it is not installed.</summary>
    public static string Tool(string prefix, string tool)
    {
        string name = prefix + tool;
        if (prefix.Length > 0 && !File.Exists("/usr/bin/" + name))
            throw new Xunit.Sdk.XunitException($"{name} is missing: install gcc-{prefix.TrimEnd('-')} (scripts/install-deps does)");
        return name;
    }

    public static string ToolFor(string arch, string tool) => Tool(Prefix(arch), tool);
}
