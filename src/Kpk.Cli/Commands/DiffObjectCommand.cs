using System.CommandLine;
using System.Text.Json;
using Kpk.Core;
using Kpk.Diff;
using Kpk.Elf;

namespace Kpk.Cli.Commands;

/// <summary><c>kpk diff-object</c>: compare one object before and after a patch and write the patch object.</summary>
public static class DiffObjectCommand
{
    public static Command Create()
    {
        var orig = new Argument<string>("ORIG.o") { Description = "The object built before the patch" };
        var patched = new Argument<string>("PATCHED.o") { Description = "The same object built after the patch" };
        var output = new Option<string?>("--output", "-o") { Description = "Where to write the patch object" };
        var parent = new Option<string>("--parent") { Description = "The ELF the patch binds to at load time: vmlinux, or the module's .ko", Required = true };
        var parentName = new Option<string>("--parent-name") { Description = "Livepatch object name: vmlinux or the module name", DefaultValueFactory = _ => "vmlinux" };
        var symvers = new Option<string?>("--symvers") { Description = "Module.symvers: which symbols are exported" };
        var patchName = new Option<string>("--patch-name") { Description = "Name of the patch module", DefaultValueFactory = _ => "kpk_patch" };
        var sizes = new Option<string?>("--special-sizes") { Description = "Entry sizes of special sections, e.g. bug=12,jump=16,alt=12" };
        var stripDebug = new Option<bool>("--strip-debug") { Description = "Leave the DWARF (.debug_*) out of the patch object" };
        var json = CommonOptions.Json();
        var verbose = CommonOptions.Verbose();
        var cmd = new Command("diff-object", "Compare an object before and after a patch; write the patch object with the changed and new functions")
        {
            orig, patched, output, parent, parentName, symvers, patchName, sizes, stripDebug, json, verbose,
        };
        cmd.SetAction(pr =>
        {
            var reporter = CliRunner.Reporter(pr.GetValue(verbose));
            var options = new DiffOptions
            {
                Parent = ParentSymbolTable.Load(pr.GetValue(parent)!),
                ParentName = pr.GetValue(parentName)!,
                Exports = pr.GetValue(symvers) is { } sv ? ModuleSymvers.Load(sv) : ModuleSymvers.Empty,
                PatchName = pr.GetValue(patchName)!,
                SpecialSizes = pr.GetValue(sizes) is { } s ? new SpecialSectionSizes().With(s) : new SpecialSectionSizes(),
                KeepDebugInfo = !pr.GetValue(stripDebug),
            };
            using var original = ElfObject.Read(pr.GetValue(orig)!);
            using var changed = ElfObject.Read(pr.GetValue(patched)!);
            var result = ObjectDiffer.Diff(original, changed, options, reporter);
            string? outPath = pr.GetValue(output);
            if (result.Outcome == DiffOutcome.Patched)
            {
                if (outPath == null && !pr.GetValue(json)) throw new KpkException("a patch results: name the output file with -o");
                if (outPath != null) ElfWriter.Write(result.Output!, outPath, new ElfWriteOptions { CompactStringTables = true });
            }
            Print(result, pr.GetValue(json), outPath);
            return result.Outcome switch
            {
                DiffOutcome.Patched => ExitCodes.Ok,
                DiffOutcome.NoChange => ExitCodes.NoChange,
                _ => ExitCodes.Unsupported,
            };
        });
        return cmd;
    }

    private static void Print(DiffResult result, bool json, string? output)
    {
        if (json)
        {
            var view = new DiffView(
                result.Outcome switch { DiffOutcome.Patched => "patched", DiffOutcome.NoChange => "no-change", _ => "unsupported" },
                result.Replaced, result.New, result.Errors, result.Warnings,
                result.Functions.Select(f => new FunctionView(f.Name, f.ParentObject, f.Sympos)).ToList(),
                result.Bindings.Select(b => new FunctionView(b.Name, b.ParentObject, b.Sympos)).ToList());
            Console.Out.WriteLine(KpkJson.Serialize(view));
            return;
        }
        foreach (var w in result.Warnings) Console.Error.WriteLine("warning: " + w);
        switch (result.Outcome)
        {
            case DiffOutcome.Patched:
                foreach (var f in result.Replaced) Console.Out.WriteLine($"changed function: {f}");
                foreach (var f in result.New) Console.Out.WriteLine($"new function: {f}");
                foreach (var b in result.Bindings) Console.Out.WriteLine($"livepatch binding: {b.Name} in {b.ParentObject} (sympos {b.Sympos})");
                Console.Out.WriteLine($"patch object written to {output}");
                break;
            case DiffOutcome.NoChange:
                Console.Out.WriteLine("no functional changes");
                break;
            default:
                Console.Error.WriteLine("the change cannot be live patched:");
                foreach (var e in result.Errors) Console.Error.WriteLine("  " + e);
                break;
        }
    }
}
