namespace Kpk.Cli.Compat;

/// <summary>
/// Ends a drop-in command the way the tool it stands in for ends: these exact lines on stdout and
/// stderr, and its exit status (scripts test both).
/// </summary>
public sealed class CompatExit(int code, string stderr = "", string stdout = "") : Exception(stderr)
{
    public int Code { get; } = code;
    public string Stderr { get; } = stderr;
    public string Stdout { get; } = stdout;
}
