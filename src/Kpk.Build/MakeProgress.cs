using System.Diagnostics;
using Kpk.Core;

namespace Kpk.Build;

/// <summary>
/// Turns kbuild's quiet output ("  CC      fs/proc/cmdline.o") into a progress line every few
/// seconds, so a ten-minute build does not look hung: how many files were compiled and which
/// one is being built now. The full output still goes to the log, and with -vv
/// (<see cref="VerbosityLevel.ToolOutput"/>) to the reporter too, line by line.
/// </summary>
public sealed class MakeProgress(IReporter reporter, string what, TimeSpan? every = null)
{
    private readonly TimeSpan _every = every ?? TimeSpan.FromSeconds(20);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _last;
    private int _compiled;

    public int Compiled => _compiled;

    public void Line(string line)
    {
        reporter.Detail("  " + line, VerbosityLevel.ToolOutput);
        var text = line.AsSpan().TrimStart();
        int space = text.IndexOf(' ');
        if (space <= 0) return;
        var step = text[..space];
        if (!step.SequenceEqual("CC") && !step.SequenceEqual("AS")) return;
        _compiled++;
        if (_clock.Elapsed - _last < _every) return;
        _last = _clock.Elapsed;
        reporter.Info($"  {what}: {_compiled} files compiled, now {text[space..].Trim().ToString()}");
    }
}
