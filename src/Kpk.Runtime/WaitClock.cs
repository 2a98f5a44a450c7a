namespace Kpk.Runtime;

/// <summary>
/// How the runtime verbs wait for the kernel: a monotonic clock and a sleep. The real one is the
/// machine's; tests hand in one that advances virtual time and lets their fake kernel react at
/// each sleep, so a wait's outcome never depends on how busy the machine is.
/// </summary>
public abstract class WaitClock
{
    public static WaitClock System { get; } = new SystemClock();

    /// <summary>Time since an arbitrary fixed point; only differences mean anything.</summary>
    public abstract TimeSpan Now { get; }

    public abstract void Sleep(TimeSpan interval);

    private sealed class SystemClock : WaitClock
    {
        public override TimeSpan Now => global::System.Diagnostics.Stopwatch.GetElapsedTime(0);
        public override void Sleep(TimeSpan interval) => Thread.Sleep(interval);
    }
}
