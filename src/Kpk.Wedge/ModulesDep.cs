using System.Diagnostics;
using Kpk.Core;

namespace Kpk.Wedge;

/// <summary>One "module needs module" pair from modules.dep, both as paths relative to the module directory.</summary>
public sealed record ModuleDependency(string Module, string Needs);

/// <summary>
/// Module dependencies as modules.dep states them ("module: dep dep ..."; depmod writes the
/// whole closure on each line). Paths may be absolute in old files; the module directory's
/// prefix is taken off so they match the module lists.
/// </summary>
public static class ModulesDep
{
    public static IReadOnlyList<ModuleDependency> Parse(IEnumerable<string> lines, string modulePrefix)
    {
        var pairs = new List<ModuleDependency>();
        string? module = null; // a line without "name:" continues the previous module's list
        foreach (var line in lines)
        {
            var words = PerlText.Words(line).Select(w => StripFirst(w, modulePrefix)).ToList();
            if (words.Count == 0) continue;
            if (words[0].EndsWith(':'))
            {
                module = words[0][..^1];
                words.RemoveAt(0);
            }
            foreach (var word in words)
                if (word != "\\") pairs.Add(new ModuleDependency(module ?? "", word));
        }
        return pairs;
    }

    private static string StripFirst(string word, string prefix)
    {
        int at = word.IndexOf(prefix, StringComparison.Ordinal);
        return at < 0 ? word : word.Remove(at, prefix.Length);
    }

    /// <summary>
    /// The modules.dep text depmod would write for a tree under <paramref name="baseDir"/>, by running
    /// <c>depmod -b BASE VERSION -n</c> (DEPMOD names another command) and keeping its modules.dep
    /// part: comments dropped, everything from the first alias on cut.
    /// </summary>
    public static IReadOnlyList<string> FromDepmod(WedgeEnvironment env, string baseDir, string installedName, TextWriter err)
    {
        string command = string.IsNullOrEmpty(env.Depmod) ? "depmod" : env.Depmod;
        var psi = new ProcessStartInfo(FindCommand(command, env.SearchPath))
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = env.Resolve("."),
        };
        foreach (var a in new[] { "-b", baseDir, installedName, "-n" }) psi.ArgumentList.Add(a);
        string output;
        try
        {
            using var p = Process.Start(psi) ?? throw new KpkException($"cannot run {command}");
            output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            // As in the reference, a depmod that cannot run leaves no dependencies (reported below as such).
            err.Write($"{command}: {e.Message}\n");
            return [];
        }
        var kept = new List<string>();
        foreach (var line in PerlText.SplitLines(output))
        {
            if (line.StartsWith("alias ", StringComparison.Ordinal)) break;
            if (!line.StartsWith('#')) kept.Add(line);
        }
        return kept;
    }

    /// <summary>A command name looked up as copy-modules does, with /usr/sbin and /sbin first on the path.</summary>
    private static string FindCommand(string command, string? searchPath)
    {
        if (command.Contains('/')) return command;
        foreach (var dir in new[] { "/usr/sbin", "/sbin" }.Concat((searchPath ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)))
        {
            string candidate = Path.Combine(dir, command);
            if (File.Exists(candidate)) return candidate;
        }
        return command;
    }
}
