using System.Runtime.InteropServices;

namespace Kpk.Wedge.Build.Tests;

/// <summary>
/// Runs an action with file permission checks in force even when the tests run as root: on a
/// thread of its own, the file-system user id is switched to "nobody" with setfsuid(2), which
/// drops CAP_DAC_OVERRIDE for that thread only, and switched back afterwards.
/// </summary>
public static class Unprivileged
{
    [DllImport("libc", SetLastError = true)]
    private static extern int setfsuid(int fsuid);

    [DllImport("libc")]
    private static extern int geteuid();

    private const int Nobody = 65534;

    public static T Run<T>(Func<T> action)
    {
        if (geteuid() != 0) return action();
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            int previous = setfsuid(Nobody);
            try { result = action(); }
            catch (Exception e) { failure = e; }
            finally { setfsuid(previous); }
        });
        thread.Start();
        thread.Join();
        if (failure != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        return result;
    }
}
