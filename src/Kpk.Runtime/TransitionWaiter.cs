using Kpk.Core;

namespace Kpk.Runtime;

/// <summary>A task that has not yet switched to the patch state a transition moves to.</summary>
public sealed record BlockingTask(int Pid, int Tid, string Command, IReadOnlyList<string> Stack)
{
    /// <summary>The innermost frame without its address: where the task sleeps (e.g. "do_wait+0x1a/0x2b0").</summary>
    public string? Where => Stack.Count > 0 ? Stack[0] : null;

    public override string ToString() =>
        $"{(Pid == Tid ? $"{Pid}" : $"{Pid}/{Tid}")} ({Command}){(Where != null ? " in " + Where : "")}";
}

/// <summary>
/// Reads each task's livepatch state: <c>/proc/PID/task/TID/patch_state</c> is 0 (unpatched) or
/// 1 (patched) while a transition runs, -1 otherwise; <c>/proc/PID/task/TID/stack</c> (root only)
/// shows where a task sleeps, which is what holds a transition up.
/// </summary>
public sealed class TaskInspector(SystemRoot root)
{
    /// <summary>Tasks whose state is not <paramref name="target"/> (1 when patching, 0 when unpatching).</summary>
    public IReadOnlyList<BlockingTask> Blocking(int target)
    {
        var result = new List<BlockingTask>();
        IEnumerable<string> pids;
        try { pids = Directory.EnumerateDirectories(root.Proc).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return result; }
        foreach (string pidDir in pids)
        {
            if (!int.TryParse(Path.GetFileName(pidDir), out int pid)) continue;
            string tasks = Path.Combine(pidDir, "task");
            IEnumerable<string> taskDirs;
            try { taskDirs = Directory.Exists(tasks) ? Directory.EnumerateDirectories(tasks).ToList() : [pidDir]; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; } // the process exited
            foreach (string taskDir in taskDirs)
            {
                if (!int.TryParse(Path.GetFileName(taskDir), out int tid)) continue;
                if (ReadText(Path.Combine(taskDir, "patch_state")) is not { } stateText || !int.TryParse(stateText.Trim(), out int state)) continue;
                if (state == -1 || state == target) continue;
                string command = ReadText(Path.Combine(taskDir, "comm"))?.Trim() ?? "?";
                result.Add(new BlockingTask(pid, tid, command, ParseStack(ReadText(Path.Combine(taskDir, "stack")))));
            }
        }
        return result.OrderBy(t => t.Pid).ThenBy(t => t.Tid).ToList();
    }

    /// <summary>Lines such as "[&lt;0&gt;] do_wait+0x1a/0x2b0": the address (hidden from non-root) is dropped.</summary>
    public static IReadOnlyList<string> ParseStack(string? text)
    {
        if (text == null) return [];
        var frames = new List<string>();
        foreach (string raw in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string line = raw;
            if (line.StartsWith('[') && line.IndexOf(']') is int close and > 0) line = line[(close + 1)..].Trim();
            if (line.Length > 0) frames.Add(line);
        }
        return frames;
    }

    private static string? ReadText(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}

/// <summary>How a wait for a transition ended; <c>Signalled</c> when the blocking tasks were signalled on the way.</summary>
public sealed record TransitionResult(bool Finished, TimeSpan Elapsed, IReadOnlyList<BlockingTask> Blocking)
{
    public bool Signalled { get; init; }
}

/// <summary>
/// Waits for a patch's transition to finish, naming the tasks that hold it while it does not.
/// The kernel itself retries every few seconds and sends blocked tasks a fake signal every 15 s;
/// <see cref="WaitSignalling"/> also asks for that signal at once, as kpatch does.
/// </summary>
public sealed class TransitionWaiter(LivepatchSysfs sysfs, TaskInspector tasks, IReporter reporter)
{
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan ReportInterval { get; init; } = TimeSpan.FromSeconds(5);
    public WaitClock Clock { get; init; } = WaitClock.System;

    /// <param name="patch">The patch directory name.</param>
    /// <param name="patching">True when the patch is being enabled (tasks move to 1), false when disabled.</param>
    public TransitionResult Wait(string patch, bool patching, TimeSpan timeout, CancellationToken cancel)
    {
        TimeSpan started = Clock.Now;
        var nextReport = ReportInterval;
        while (true)
        {
            TimeSpan elapsed = Clock.Now - started;
            cancel.ThrowIfCancellationRequested();
            // A disabled patch is freed by the kernel: its directory disappearing ends the transition too.
            if (sysfs.Transition(patch) != true) return new TransitionResult(true, elapsed, []);
            if (elapsed >= timeout)
                return new TransitionResult(false, elapsed, tasks.Blocking(patching ? 1 : 0));
            if (elapsed >= nextReport)
            {
                var blocking = tasks.Blocking(patching ? 1 : 0);
                reporter.Info($"{patch}: still in transition after {elapsed.TotalSeconds:0}s; {Describe(blocking)}");
                foreach (var task in blocking)
                    reporter.Detail($"  {task.Pid}/{task.Tid} ({task.Command}): {string.Join(" <- ", task.Stack)}");
                nextReport += ReportInterval;
            }
            Clock.Sleep(PollInterval);
        }
    }

    /// <summary>
    /// Waits; when the transition has not finished in <paramref name="timeout"/>, writes 1 to the patch's
    /// <c>signal</c> attribute (Linux 5.0+: a fake signal to every task still on the old state, which
    /// wakes those sleeping interruptibly in the kernel) and waits as long again. kpatch's utility does
    /// this before giving up; kpk does it before offering --force.
    /// </summary>
    public TransitionResult WaitSignalling(string patch, bool patching, TimeSpan timeout, CancellationToken cancel)
    {
        var first = Wait(patch, patching, timeout, cancel);
        if (first.Finished || !sysfs.Signal(patch)) return first;
        reporter.Info($"{patch}: the transition has stalled ({Describe(first.Blocking)}); signalled those tasks, waiting {timeout.TotalSeconds:0.#}s more");
        var second = Wait(patch, patching, timeout, cancel);
        return second with { Elapsed = first.Elapsed + second.Elapsed, Signalled = true };
    }

    /// <summary>"3 tasks have not switched: 12 (bash) in do_wait+0x1a/0x2b0, ..." (at most 10 named).</summary>
    public static string Describe(IReadOnlyList<BlockingTask> blocking)
    {
        if (blocking.Count == 0) return "no blocking task could be read from /proc/*/task/*/patch_state (run as root?)";
        string names = string.Join(", ", blocking.Take(10));
        return $"{blocking.Count} task{(blocking.Count == 1 ? " has" : "s have")} not switched: {names}{(blocking.Count > 10 ? ", ..." : "")}";
    }
}
