namespace Kpk.Core;

/// <summary>
/// A failure the user can act on: bad input, a refused change, a build that broke.
/// The CLI prints <see cref="Exception.Message"/> as is (no stack trace) and exits with <see cref="ExitCode"/>.
/// </summary>
public class KpkException : Exception
{
    public int ExitCode { get; }

    public KpkException(string message, int exitCode = ExitCodes.Error, Exception? inner = null)
        : base(message, inner) => ExitCode = exitCode;
}

/// <summary>Exit codes shared by every verb, so scripts can tell outcomes apart.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>Bad input, a failed build, an internal error.</summary>
    public const int Error = 1;
    /// <summary>The change cannot be live patched (diff-object, create).</summary>
    public const int Unsupported = 2;
    /// <summary>The command line is wrong: an unknown verb or option, a missing or malformed value (nothing was done).</summary>
    public const int Usage = 2;
    /// <summary>Nothing changed that matters; no output written.</summary>
    public const int NoChange = 3;
    /// <summary>Interrupted by the user (Ctrl-C), after restoring what was touched.</summary>
    public const int Interrupted = 130;
}
