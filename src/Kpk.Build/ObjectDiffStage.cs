using System.Collections.Concurrent;
using System.Diagnostics;
using Kpk.Core;
using Kpk.Diff;
using Kpk.Elf;

namespace Kpk.Build;

/// <summary>One patched object's diff: the object, the vmlinux or module it binds to, and the patch object written (when it patches something).</summary>
public sealed record ObjectDiff(string Object, string Parent, DiffResult Result, string? Output);

/// <summary>
/// Stage 5 of <c>kpk create</c>: every rebuilt object that differs from its original is diffed
/// (in parallel), bound to the symbols of what it is part of: vmlinux (its symbol table, or
/// kallsyms) or its module's .ko. Refusals of the differ stop the run with every reason.
/// </summary>
public sealed class ObjectDiffStage(CreateContext ctx)
{
    public List<ObjectDiff> Run(BuildTree tree, Dictionary<string, string> patched, IReadOnlyDictionary<string, PlannedObject> owners,
        Func<PlannedObject, string> moduleFile, ModuleSymvers exports, SpecialSectionSizes sizes)
    {
        var changed = patched.Where(kv => !PatchedBuild.SameContent(kv.Value, Path.Combine(tree.ObjRoot, kv.Key))).Select(kv => kv.Key).ToList();
        foreach (var same in patched.Keys.Except(changed)) ctx.Reporter.Detail($"{same}: rebuilt identical");
        if (changed.Count == 0) throw new KpkException("no functional changes: every rebuilt object is identical to the original", ExitCodes.NoChange);

        ctx.Reporter.Stage($"diffing {changed.Count} object(s)");
        var symbols = ctx.Kernel.Symbols!;
        var parentTables = new ConcurrentDictionary<string, Lazy<ParentSymbolTable>>(StringComparer.Ordinal);
        ParentSymbolTable Table(string parent, string file, bool kallsyms) =>
            parentTables.GetOrAdd(parent, _ => new Lazy<ParentSymbolTable>(() =>
                kallsyms ? ParentSymbolTable.LoadKallsyms(file) : ParentSymbolTable.Load(file))).Value;

        var results = new ConcurrentBag<ObjectDiff>();
        string outDir = Directory.CreateDirectory(Path.Combine(ctx.Work, "diff")).FullName;
        var indexed = changed.Select((o, i) => (o, i)).ToList();
        try
        {
            Parallel.ForEach(indexed, new ParallelOptions { CancellationToken = ctx.Cancel, MaxDegreeOfParallelism = Math.Max(1, ctx.Request.Jobs) }, item =>
            {
                var (obj, index) = item;
                var owner = owners.GetValueOrDefault(obj) ?? new PlannedObject(obj, "vmlinux", null);
                var parent = owner.Parent == "vmlinux"
                    ? Table("vmlinux", symbols.Path, symbols.IsKallsyms)
                    : Table(owner.Parent, moduleFile(owner), false);
                var watch = Stopwatch.StartNew();
                var options = new DiffOptions
                {
                    Parent = parent,
                    ParentName = owner.Parent,
                    Exports = exports,
                    PatchName = ctx.Request.Name,
                    SpecialSizes = sizes,
                    KeepDebugInfo = !ctx.Request.StripDebug,
                };
                using var original = ElfObject.Read(Path.Combine(tree.ObjRoot, obj));
                using var changedObject = ElfObject.Read(patched[obj]);
                var result = ObjectDiffer.Diff(original, changedObject, options, ctx.Reporter);
                string? output = null;
                if (result.Outcome == DiffOutcome.Patched)
                {
                    AddCallbackSymbols(result, owner.Parent, obj);
                    output = Path.Combine(outDir, $"{index}-{Path.GetFileName(obj)}");
                    ElfWriter.Write(result.Output!, output, new ElfWriteOptions { CompactStringTables = true });
                }
                ctx.Reporter.Info($"diffed {obj} ({owner.Parent}): {Describe(result)} [{watch.ElapsedMilliseconds} ms]");
                results.Add(new ObjectDiff(obj, owner.Parent, result, output));
            });
        }
        catch (AggregateException e)
        {
            // Parallel.ForEach wraps what the diffs threw; the user sees the first real error, not the wrapper.
            var inner = e.Flatten().InnerExceptions;
            throw inner.FirstOrDefault(x => x is OperationCanceledException)
                ?? inner.FirstOrDefault(x => x is KpkException)
                ?? inner[0];
        }

        var ordered = results.OrderBy(r => r.Object, StringComparer.Ordinal).ToList();
        foreach (var r in ordered) foreach (var w in r.Result.Warnings) ctx.Warn($"{r.Object}: {w}");
        var unsupported = ordered.Where(r => r.Result.Outcome == DiffOutcome.Unsupported).ToList();
        if (unsupported.Count > 0)
            throw new KpkException("the change cannot be live patched:\n" +
                string.Join("\n", unsupported.SelectMany(r => r.Result.Errors.Select(e => $"  {Path.ChangeExtension(r.Object, ".c")}: {e}"))), ExitCodes.Unsupported);
        var useful = ordered.Where(r => r.Result.Outcome == DiffOutcome.Patched).ToList();
        if (useful.Count == 0) throw new KpkException("no functional changes: the rebuilt objects differ in nothing a live patch carries", ExitCodes.NoChange);
        return useful;
    }

    private static string Describe(DiffResult r) => r.Outcome switch
    {
        DiffOutcome.Patched => $"{r.Functions.Count} replaced ({string.Join(", ", r.Functions.Select(f => f.Name))}), {r.New.Count} new, {r.Bindings.Count} bound at load",
        DiffOutcome.NoChange => "no change",
        _ => "cannot be patched",
    };

    /// <summary>
    /// The hook reaches each callback through a global symbol at the start of its section (the
    /// pointer the kpk-patch.h macro stored), named after the parent and the kind.
    /// </summary>
    private static void AddCallbackSymbols(DiffResult result, string parent, string obj)
    {
        foreach (var kind in result.Callbacks.Keys)
        {
            var section = result.Output!.FindSection(".kpk.callbacks." + kind) ?? result.Output.FindSection(".kpatch.callbacks." + kind)
                ?? throw new KpkException($"{obj}: the differ found a {kind} callback but kept no callback section");
            result.Output.AddSymbol(new ElfSymbol(HookSource.CallbackSymbol(parent, kind))
            {
                Binding = SymbolBinding.Global,
                Type = SymbolType.Object,
                Section = section,
                Value = 0,
                Size = 8,
            });
        }
    }
}
