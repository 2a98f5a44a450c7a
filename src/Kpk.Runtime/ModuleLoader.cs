using System.Diagnostics;
using Kpk.Core;

namespace Kpk.Runtime;

/// <summary>Loads and unloads kernel modules. The real one runs kmod; tests hand in a fake kernel.</summary>
public interface IModuleLoader
{
    /// <summary>Loads the module; returns when init_module returned (for a live patch: the transition has started).</summary>
    void Load(string modulePath);
    void Unload(string moduleName);
}

/// <summary>
/// kmod's <c>insmod</c> and <c>rmmod</c>: insmod loads the file as it is (no dependency lookup, which
/// a live patch module does not need), and both report the kernel's refusal on stderr.
/// </summary>
public sealed class KmodLoader(string insmod = "insmod", string rmmod = "rmmod") : IModuleLoader
{
    public void Load(string modulePath) => KmodTool.Run(insmod, [Path.GetFullPath(modulePath)], $"loading {modulePath}");

    public void Unload(string moduleName) => KmodTool.Run(rmmod, [moduleName], $"unloading {moduleName}");
}

/// <summary>Runs one of kmod's tools; its refusal (stderr, exit status) becomes a <see cref="KpkException"/>.</summary>
internal static class KmodTool
{
    /// <returns>What the tool printed on stderr (depmod's warnings), when it succeeded.</returns>
    public static string Run(string tool, IEnumerable<string> arguments, string what)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try { process = Process.Start(start) ?? throw new KpkException($"{what}: cannot start {tool}"); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new KpkException($"{what}: cannot run {tool} ({e.Message}); is kmod installed?");
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                string message = (stderr.Result + stdout).Trim();
                throw new KpkException($"{what} failed: {tool} exited with {process.ExitCode}: {(message.Length > 0 ? message : "no message")}");
            }
            return stderr.Result;
        }
    }
}
