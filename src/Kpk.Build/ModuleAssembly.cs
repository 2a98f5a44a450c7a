using Kpk.Core;
using Kpk.Diff;

namespace Kpk.Build;

/// <summary>The patch objects of one patched vmlinux or module, linked into one, with the functions they replace.</summary>
public sealed record LinkedParent(PatchedParent Parent, string Object)
{
    public string Name => Parent.Name;
    public IReadOnlyList<ReplacedFunction> Functions => Parent.Functions;
}

/// <summary>
/// Stage 6 of <c>kpk create</c>: the patch objects linked per patched object (vmlinux, each
/// module), the generated <c>klp_patch</c> hook, the module built by kbuild against the
/// kernel's build (its vermagic and symbol CRCs), and the load-time bindings turned into
/// <c>.klp.rela</c> sections.
/// </summary>
public sealed class ModuleAssembly(CreateContext ctx)
{
    private string ModuleDir => Path.Combine(ctx.Work, "module");

    public List<LinkedParent> Link(List<ObjectDiff> results)
    {
        Directory.CreateDirectory(ModuleDir);
        var linked = new List<LinkedParent>();
        // vmlinux first, then modules by name: a stable hook.
        foreach (var group in results.GroupBy(r => r.Parent).OrderBy(g => g.Key == "vmlinux" ? "" : g.Key, StringComparer.Ordinal))
        {
            var callbacks = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var r in group)
                foreach (var kind in r.Result.Callbacks.Keys)
                    if (!callbacks.TryAdd(kind, HookSource.CallbackSymbol(group.Key, kind)))
                        throw new KpkException($"{r.Object}: a second {kind} callback for {group.Key} (one per patched object)");
            string output = Path.Combine(ModuleDir, $"kpk-{group.Key}.o_shipped");
            var inputs = group.Select(r => r.Output!).ToList();
            if (inputs.Count == 1) File.Copy(inputs[0], output);
            else
            {
                ctx.Reporter.Stage($"linking {inputs.Count} patch objects of {group.Key}");
                var r = Tool.Run(ctx.Make.Linker, ["-r", "-o", output, .. inputs], ModuleDir, ctx.Cancel);
                if (!r.Ok) throw new KpkException($"{ctx.Make.Linker} -r of the patch objects of {group.Key} failed:\n{r.Output.TrimEnd()}");
            }
            // With MODVERSIONS, modpost (5.19+) reads each object's symbol versions from its .cmd
            // file; kbuild writes none for a shipped object, and the patch object exports nothing.
            File.WriteAllText(Path.Combine(ModuleDir, $".kpk-{group.Key}.o.cmd"), $"# {output}: a kpk patch object, no exported symbols\n");
            var functions = group.SelectMany(r => r.Result.Functions).ToList();
            linked.Add(new LinkedParent(new PatchedParent(group.Key, functions, callbacks), output));
        }
        return linked;
    }

    /// <summary>Builds NAME.ko and converts its livepatch bindings; returns the module file.</summary>
    public string Build(CacheEntry entry, List<LinkedParent> parents)
    {
        var request = ctx.Request;
        File.WriteAllText(Path.Combine(ModuleDir, "kpk-hook.c"),
            HookSource.Generate(request.Name, parents.Select(p => p.Parent).ToList(), request.Replace, request.Description, request.Supported));
        File.WriteAllText(Path.Combine(ModuleDir, "Makefile"),
            HookSource.Makefile(request.Name, parents.Select(p => $"kpk-{p.Name}.o")));
        string log = Path.Combine(ctx.Work, "module-build.log");
        ctx.Reporter.Stage($"building the livepatch module {request.Name}.ko with kbuild; log: {log}");
        // modpost sees the .klp.sym.* references as undefined: they are resolved by the livepatch core, not the loader.
        var r = ctx.Make.External(entry, ModuleDir, ["modules"], log, kcflags: false, "KBUILD_MODPOST_WARN=1", "V=1");
        string ko = Path.Combine(ModuleDir, request.Name + ".ko");
        if (!r.Ok || !File.Exists(ko)) throw ctx.BuildFailure("building the livepatch module", log, keepLog: true);
        var conversion = KlpConverter.ConvertFile(ko);
        ctx.Reporter.Detail($"livepatch relocations: {conversion.Relocations} in {conversion.Sections.Count} section(s), {conversion.Symbols} livepatch symbol(s)"
            + (conversion.CallSitesDropped > 0 ? $"; {conversion.CallSitesDropped} call site(s) left without a call thunk (their target is bound by the livepatch core)" : ""));
        return ko;
    }
}
