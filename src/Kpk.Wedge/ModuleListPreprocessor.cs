using System.Text.RegularExpressions;
using Kpk.Core;

namespace Kpk.Wedge;

/// <summary>The outcome of preprocessing a module list: the module paths (sorted by bytes) and the required names not found.</summary>
public sealed record PreprocessResult(IReadOnlyList<string> Modules, IReadOnlyList<string> Missing);

/// <summary>
/// <c>preprocess</c>: expands a module list — includes, optional ("name ?" or "-name") and
/// removed ("name -") entries in order, wildcards — into the module files of a tree.
/// <para>
/// Unlike the reference, a list included twice through different paths is simply read twice
/// (as cpp would); only a list that includes itself, directly or not, is a loop, and the error
/// names the chain.
/// </para>
/// </summary>
public sealed class ModuleListPreprocessor
{
    private static readonly Regex SystemInclude = new("^#include[ \t\n\r\f\v]+<(.*)>$", RegexOptions.CultureInvariant);
    private static readonly Regex LocalInclude = new("^#include[ \t\n\r\f\v]+\"(.*)\"$", RegexOptions.CultureInvariant);
    private static readonly Regex Removal = new("^(.*) -$", RegexOptions.CultureInvariant);
    private static readonly Regex Optional = new(@"^(.*) \?$", RegexOptions.CultureInvariant);

    private readonly WedgeEnvironment _env;
    private readonly ModuleFinder _finder;
    private readonly TextWriter _err;
    private readonly string _systemListDir;

    /// <param name="err">Where a tolerated problem is reported (KW_CHECK_NONFATAL), as the reference reports it.</param>
    public ModuleListPreprocessor(WedgeEnvironment env, ModuleTree tree, TextWriter err)
    {
        _env = env;
        _finder = new ModuleFinder(tree, env.IsLinux);
        _err = err;
        _systemListDir = env.RequireDefConfigDir() + "/modules/";
    }

    public PreprocessResult Run(string listPath)
    {
        var state = new State();
        Load(listPath, state, new List<(string Identity, string Shown)>(), includedFrom: null);
        var modules = state.Modules.ToList();
        modules.Sort(ByteOrder.Instance);
        var missing = state.Missing.ToList();
        missing.Sort(ByteOrder.Instance);
        return new PreprocessResult(modules, missing);
    }

    /// <summary>
    /// Writes "missing module NAME" lines to <paramref name="err"/> as the reference does, and tells
    /// whether that is fatal (it is not with KW_CHECK_NONFATAL set).
    /// </summary>
    public static bool ReportMissing(PreprocessResult result, WedgeEnvironment env, TextWriter err)
    {
        foreach (var name in result.Missing) err.Write($"missing module {name}\n");
        return result.Missing.Count > 0 && !env.NonFatalPerl;
    }

    private sealed class State
    {
        public readonly HashSet<string> Modules = new(StringComparer.Ordinal);
        public readonly HashSet<string> Missing = new(StringComparer.Ordinal);
    }

    private void Load(string list, State state, List<(string Identity, string Shown)> chain, string? includedFrom)
    {
        string full = _env.Resolve(list);
        string identity = NativePath.RealPath(full) ?? full;
        if (chain.Any(c => c.Identity == identity))
        {
            var loop = chain.SkipWhile(c => c.Identity != identity).Select(c => c.Shown).Append(list);
            throw new KpkException("include loop: " + string.Join(" -> ", loop), WedgeExit.Failed);
        }

        IReadOnlyList<string> lines;
        try
        {
            if (Directory.Exists(full)) throw new IOException("is a directory");
            lines = PerlText.ReadLines(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string where = includedFrom != null ? $" (included from {includedFrom})" : "";
            throw new KpkException($"cannot read {list}{where}: {WedgeExit.Reason(e)}", WedgeExit.Failed);
        }

        chain.Add((identity, list));
        for (int n = 0; n < lines.Count; n++)
        {
            string line = PerlText.Trim(lines[n]);
            string here = $"{list}:{n + 1}";
            Match m;
            if ((m = SystemInclude.Match(line)).Success)
            {
                Load(_systemListDir + m.Groups[1].Value, state, chain, here);
            }
            else if ((m = LocalInclude.Match(line)).Success)
            {
                int slash = list.LastIndexOf('/');
                string dir = slash >= 0 ? list[..(slash + 1)] : "";
                Load(dir + m.Groups[1].Value, state, chain, here);
            }
            else if (line.Length == 0 || line[0] == '#')
            {
                // blank or comment
            }
            else if ((m = Removal.Match(line)).Success)
            {
                // A required module removed again is no longer missing.
                string pattern = m.Groups[1].Value;
                state.Missing.Remove(pattern);
                foreach (var module in Find(pattern, optional: true, here).Modules) state.Modules.Remove(module);
            }
            else
            {
                string pattern;
                bool optional;
                if ((m = Optional.Match(line)).Success) (pattern, optional) = (m.Groups[1].Value, true);
                else if (line[0] == '-') (pattern, optional) = (line[1..], true); // the old spelling of optional
                else (pattern, optional) = (line, false);

                var found = Find(pattern, optional, here);
                foreach (var module in found.Modules) state.Modules.Add(module);
                // Not yet an error: a later line may remove it.
                if (!ModulePattern.IsWild(pattern) && !optional && !found.Any) state.Missing.Add(pattern);
            }
        }
        chain.RemoveAt(chain.Count - 1);
    }

    private PatternMatch Find(string pattern, bool optional, string where)
    {
        try
        {
            return _finder.Find(pattern, optional);
        }
        catch (MissingDirectoryException e)
        {
            if (!_env.NonFatalPerl) throw new KpkException($"{where}: {e.Message}", WedgeExit.Failed);
            // Tolerated, the problem is still reported in the reference's words; the pattern matches nothing.
            _err.Write(e.Message + "\n");
            return new PatternMatch([], false);
        }
    }
}
