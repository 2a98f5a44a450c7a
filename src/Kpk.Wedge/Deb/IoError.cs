namespace Kpk.Wedge.Deb;

/// <summary>Short reasons for I/O failures; the callers put the path in front, so .NET's messages (which repeat it) are replaced.</summary>
internal static class IoError
{
    public static string Reason(Exception e) => e switch
    {
        UnauthorizedAccessException => "permission denied",
        FileNotFoundException or DirectoryNotFoundException => "no such file or directory",
        _ => e.Message,
    };
}
