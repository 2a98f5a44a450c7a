using Kpk.Core;
using Kpk.Elf;

namespace Kpk.Diff;

/// <summary>
/// The function-level ELF differ: given one object compiled before and after a source patch
/// (with -ffunction-sections -fdata-sections), decides what changed and builds the patch object
/// that carries exactly the changed and new functions and what they need.
/// </summary>
public static class ObjectDiffer
{
    public static DiffResult Diff(string originalPath, string patchedPath, DiffOptions options, IReporter? reporter = null)
    {
        using var original = ElfObject.Read(originalPath);
        using var patchedObject = ElfObject.Read(patchedPath);
        return Diff(original, patchedObject, options, reporter);
    }

    /// <summary>
    /// Compares two objects already read. The result's <see cref="DiffResult.Output"/> refers to
    /// section contents of <paramref name="patchedObject"/>: write it before disposing that.
    /// </summary>
    public static DiffResult Diff(ElfObject original, ElfObject patchedObject, DiffOptions options, IReporter? reporter = null)
    {
        reporter ??= NullReporter.Instance;
        CheckHeaders(original, patchedObject);
        DiffInputValidation.Check(original);
        DiffInputValidation.Check(patchedObject);
        var arch = Architecture.For(original.Machine, original.FileName ?? "<object>");
        var orig = new Obj(original, arch);
        var patched = new Obj(patchedObject, arch);
        var warnings = new List<string>();
        var fatal = new List<string>();
        try
        {
            Analysis.Prepare(orig);
            Analysis.Prepare(patched);
            new Correlation(orig, patched, warnings).Run();
            new Comparison(orig, patched, fatal, warnings).Run();
            if (fatal.Count > 0) return Unsupported(fatal, warnings, patched);

            var inclusion = new Inclusion(patched, fatal);
            inclusion.Run();
            bool ibt = IbtRules.CompiledForIbt(patched);
            new SpecialSections(patched, options, fatal, warnings, objtoolAtModuleLink: ibt).Run();
            inclusion.Verify();
            if (fatal.Count > 0) return Unsupported(fatal, warnings, patched);
            if (options.KeepDebugInfo) inclusion.IncludeDebugInfo();

            var replacedSyms = patched.Symbols.Where(s => s.IsFunc && s.Status == Status.Changed && s.Parent == null && s.Include).ToList();
            var newSyms = patched.Symbols.Where(s => s.IsFunc && s.Status == Status.New && s.Parent == null && s.Include && s.Sec != null).ToList();
            foreach (var s in replacedSyms) reporter.Detail($"changed function: {s.Name}");
            foreach (var s in newSyms) reporter.Detail($"new function: {s.Name}");

            if (inclusion.ChangedFunctions == 0 && inclusion.NewGlobals == 0 && !inclusion.HasCallbacks)
                return new DiffResult { Outcome = DiffOutcome.NoChange, Warnings = warnings };

            var builder = new PatchObjectBuilder(patched, options, ibt ? new IbtRules(orig, options, fatal) : null, fatal);
            var output = builder.Build(replacedSyms);
            if (fatal.Count > 0) return Unsupported(fatal, warnings, patched);
            return new DiffResult
            {
                Outcome = DiffOutcome.Patched,
                Replaced = replacedSyms.Select(s => s.Name).ToList(),
                New = newSyms.Select(s => s.Name).ToList(),
                Warnings = warnings,
                Functions = builder.Functions,
                Bindings = builder.Bindings,
                Callbacks = inclusion.Callbacks.ToDictionary(kv => kv.Key, kv => kv.Value.Name),
                Output = output,
            };
        }
        catch (UnsupportedChangeException e)
        {
            return Unsupported(e.Reasons, warnings, null);
        }
    }

    /// <summary>A refusal, with the functions found changed so far (what the patch would have replaced), as the reference reports them.</summary>
    private static DiffResult Unsupported(IReadOnlyList<string> reasons, List<string> warnings, Obj? patched) => new()
    {
        Outcome = DiffOutcome.Unsupported,
        Errors = reasons.Distinct().ToList(),
        Warnings = warnings,
        Replaced = patched?.Symbols.Where(s => s.IsFunc && s.Status == Status.Changed && s.Parent == null && s.Twin != null)
            .Select(s => s.Name).ToList() ?? [],
    };

    private static void CheckHeaders(ElfObject a, ElfObject b)
    {
        foreach (var o in new[] { a, b })
        {
            if (o.Type != ElfType.Rel) throw new KpkException($"{o.FileName}: not a relocatable object (it is {o.Type}); diff-object compares .o files");
            if (o.Segments.Count != 0) throw new KpkException($"{o.FileName}: has program headers; diff-object compares .o files");
            if (o.SymbolTable == null) throw new KpkException($"{o.FileName}: has no symbol table");
        }
        if (a.Machine != b.Machine || a.Flags != b.Flags || a.OsAbi != b.OsAbi)
            throw new KpkException($"{b.FileName}: ELF header differs from {a.FileName} (machine, flags or ABI): not the same build of one file");
    }
}
