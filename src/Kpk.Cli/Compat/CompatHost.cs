using Kpk.Runtime;

namespace Kpk.Cli.Compat;

/// <summary>
/// What the drop-in command lines look up on the machine: the running release (uname -r), whether
/// files exist, the working directory, the release a module was built for. Tests hand in their own.
/// </summary>
public sealed record CompatHost(
    string RunningRelease,
    Func<string, bool> FileExists,
    Func<string, bool> DirectoryExists,
    string WorkingDirectory,
    Func<string, string?> ModuleRelease)
{
    public static CompatHost Live() => new(
        new RunningKernel(SystemRoot.Live).Release,
        File.Exists,
        Directory.Exists,
        Environment.CurrentDirectory,
        path => LivePatchModule.Read(path).KernelRelease);

    /// <summary>A path as the tool resolves it (readlink -f, abs_path): relative to the working directory.</summary>
    public string Absolute(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path, WorkingDirectory));
}
