using System.CommandLine;
using System.Text.Json;
using Kpk.Elf;

namespace Kpk.Cli.Commands;

/// <summary><c>kpk elf dump</c> and <c>kpk elf copy</c>: the ELF layer made visible from the shell.</summary>
public static class ElfCommands
{
    public static Command Create()
    {
        var elf = new Command("elf", "Inspect and rewrite ELF objects");
        elf.Subcommands.Add(Dump());
        elf.Subcommands.Add(Copy());
        return elf;
    }

    private static Command Dump()
    {
        var file = new Argument<string>("FILE") { Description = "An ELF64 object, module or vmlinux" };
        var json = CommonOptions.Json();
        var noRelocs = new Option<bool>("--no-relocs") { Description = "Leave out relocations" };
        var cmd = new Command("dump", "Show sections, symbols and relocations") { file, json, noRelocs };
        cmd.SetAction(pr =>
        {
            using var obj = ElfObject.Read(pr.GetValue(file)!);
            var dump = ElfDump.Describe(obj, !pr.GetValue(noRelocs));
            if (pr.GetValue(json))
                Console.Out.WriteLine(KpkJson.Serialize(dump));
            else
                ElfDump.WriteText(dump, Console.Out);
            return 0;
        });
        return cmd;
    }

    private static Command Copy()
    {
        var input = new Argument<string>("IN") { Description = "Object to read" };
        var output = new Argument<string>("OUT") { Description = "Where to write it" };
        var compact = new Option<bool>("--compact-strings") { Description = "Rebuild string tables with only the names in use" };
        var cmd = new Command("copy", "Read an object and write it back (the round trip, from the shell)") { input, output, compact };
        cmd.SetAction(pr =>
        {
            using var obj = ElfObject.Read(pr.GetValue(input)!);
            ElfWriter.Write(obj, pr.GetValue(output)!, new ElfWriteOptions { CompactStringTables = pr.GetValue(compact) });
            return 0;
        });
        return cmd;
    }
}
