using System.Diagnostics;
using System.Text;
using Kpk.Elf;
using Kpk.Tests;
using Xunit;

namespace Kpk.Elf.Tests;

/// <summary>What the writer produces must satisfy the real binutils, and read back as written.</summary>
public class WriterTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.TempDir("kpk-elfw");
    public void Dispose() => _dir.Dispose();

    private static (int Exit, string Out, string Err) Run(string file, string args, string cwd)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cwd };
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, o.Result, e.Result);
    }

    private string Assemble(string name, string source)
    {
        string s = Path.Combine(_dir.Path, name + ".s"), o = Path.Combine(_dir.Path, name + ".o");
        File.WriteAllText(s, source);
        var (exit, _, err) = Run("as", $"--64 -o {o} {s}", _dir.Path);
        Assert.True(exit == 0, err);
        return o;
    }

    private void AssertBinutilsAccept(string path)
    {
        var (re, _, reErr) = Run("readelf", $"-aW {path}", _dir.Path);
        Assert.True(re == 0 && reErr.Length == 0, $"readelf: {reErr}");
        var (le, lo, leErr) = Run("ld", $"-r -o {path}.ld.o {path}", _dir.Path);
        Assert.True(le == 0 && leErr.Length == 0 && lo.Length == 0, $"ld -r: {leErr}{lo}");
    }

    [Fact]
    [Trait("Tier", Tier.Conformance)]
    public void Round_tripped_conformance_objects_satisfy_readelf_and_ld()
    {
        foreach (var file in Directory.GetFiles(TestPaths.DiffObjectCases, "*.o").Order())
        {
            using var obj = ElfObject.Read(file);
            string copy = Path.Combine(_dir.Path, Path.GetFileName(file));
            ElfWriter.Write(obj, copy);
            AssertBinutilsAccept(copy);
        }
    }

    [Fact]
    public void Section_groups_survive_the_round_trip()
    {
        string o = Assemble("group", """
            .section .text.inline_fn,"axG",@progbits,inline_fn,comdat
            .globl inline_fn
            .type inline_fn,@function
            inline_fn: call other
            ret
            .section .data.inline_var,"awG",@progbits,inline_fn,comdat
            .quad inline_fn
            .text
            .globl other
            other: ret
            """);
        using var obj = ElfObject.Read(o);
        var group = Assert.Single(obj.Sections, s => s.Type == SectionType.Group);
        Assert.Equal(GroupFlags.Comdat, group.GroupFlags);
        Assert.Equal([".text.inline_fn", ".rela.text.inline_fn", ".data.inline_var", ".rela.data.inline_var"], group.GroupMembers!.Select(m => m.Name));
        Assert.Equal("inline_fn", group.GroupSignature!.Name);
        string copy = Path.Combine(_dir.Path, "group-copy.o");
        ElfWriter.Write(obj, copy);
        AssertBinutilsAccept(copy);
        using var back = ElfObject.Read(copy);
        ElfAssert.SameContent(obj, back);
    }

    [Fact]
    public void More_than_65279_sections_use_extended_numbering()
    {
        // Each function in its own section, as -ffunction-sections makes them: 70,000 of them.
        var sb = new StringBuilder();
        for (int i = 0; i < 70_000; i++)
            sb.Append($".section .text.f{i},\"ax\",@progbits\n.globl f{i}\n.type f{i},@function\nf{i}: call f{(i + 1) % 70_000}\nret\n");
        string o = Assemble("many", sb.ToString());
        using var obj = ElfObject.Read(o);
        Assert.True(obj.Sections.Count > 140_000);
        Assert.NotNull(obj.FindSection(".symtab_shndx"));
        var last = obj.FindSymbol("f69999")!;
        Assert.Equal(".text.f69999", last.Section!.Name);
        Assert.True(last.Section.Index >= SpecialSection.LoReserve);

        byte[] written = ElfWriter.ToBytes(obj);
        // The header says "see section 0" for both the count and the name table index.
        Assert.Equal(0, BitConverter.ToUInt16(written, 60));
        Assert.Equal(SpecialSection.XIndex, BitConverter.ToUInt16(written, 62));
        using var back = ElfObject.Parse(written, "many-copy.o");
        ElfAssert.SameContent(obj, back);
        string copy = Path.Combine(_dir.Path, "many-copy.o");
        File.WriteAllBytes(copy, written);
        AssertBinutilsAccept(copy);
    }

    [Fact]
    public void Editing_rebuilds_indexes_links_and_tables()
    {
        string o = Assemble("edit", """
            .section .text.keep,"ax",@progbits
            .globl keep
            .type keep,@function
            keep: call drop
            call external
            ret
            .section .text.drop,"ax",@progbits
            .type drop,@function
            drop: ret
            .section .rodata.msg,"a",@progbits
            msg: .asciz "hello"
            """);
        using var obj = ElfObject.Read(o);
        var drop = obj.FindSection(".text.drop")!;
        obj.RemoveSection(drop, removeSymbols: true);
        obj.Symbols.RemoveAll(s => s.Type == SymbolType.Section && s.Section == drop);
        // keep's call to drop must now go to an undefined symbol: the model is edited by reference.
        var dropSym = new ElfSymbol("drop") { Binding = SymbolBinding.Global, Type = SymbolType.NoType };
        obj.AddSymbol(dropSym);
        foreach (var r in obj.FindSection(".rela.text.keep")!.Relocations!)
            if (r.Symbol?.Name == "drop" || r.Symbol?.Section == drop) r.Symbol = dropSym;

        // A new section with a relocation against a new local symbol, and a renamed section.
        var data = new ElfSection(".data.table", SectionType.ProgBits, SectionFlags.Alloc | SectionFlags.Write) { Alignment = 8, Data = new byte[16] };
        obj.Sections.Insert(0, data);
        var tableSym = obj.AddSymbol(new ElfSymbol("table") { Binding = SymbolBinding.Local, Type = SymbolType.Object, Section = data, Size = 16 });
        var rela = new ElfSection(".rela.data.table", SectionType.Rela, SectionFlags.InfoLink) { Alignment = 8, EntrySize = 24, Link = obj.SymbolTable, InfoSection = data };
        rela.Relocations!.Add(new ElfRelocation(8, X86_64Relocation.R64, obj.FindSymbol("keep"), 0));
        obj.Sections.Insert(1, rela);
        obj.FindSection(".rodata.msg")!.Name = ".rodata.greeting";

        string copy = Path.Combine(_dir.Path, "edit-copy.o");
        ElfWriter.Write(obj, copy, new ElfWriteOptions { CompactStringTables = true });
        AssertBinutilsAccept(copy);
        using var back = ElfObject.Read(copy);
        Assert.Null(back.FindSection(".text.drop"));
        Assert.NotNull(back.FindSection(".rodata.greeting"));
        Assert.Null(back.FindSection(".rodata.msg"));
        var backRela = back.FindSection(".rela.data.table")!;
        Assert.Equal(back.FindSection(".data.table"), backRela.InfoSection);
        Assert.Equal(back.SymbolTable, backRela.Link);
        Assert.Equal("keep", Assert.Single(backRela.Relocations!).Symbol!.Name);
        Assert.Equal(back.FindSection(".data.table"), back.FindSymbol("table")!.Section);
        Assert.True(back.FindSymbol("drop")!.IsUndefined);
        // sh_info of the symbol table: the first non-local symbol, all locals before it.
        using var image = ElfImage.Open(copy);
        int symtab = image.FindSection(SectionType.SymTab);
        var raw = image.ReadSymbols(symtab);
        int firstGlobal = (int)image.Sections[symtab].Info;
        Assert.All(raw.Skip(1).Take(firstGlobal - 1), s => Assert.Equal(SymbolBinding.Local, s.Binding));
        Assert.All(raw.Skip(firstGlobal), s => Assert.NotEqual(SymbolBinding.Local, s.Binding));
        // Compact string tables hold each name once, and no name that is gone.
        string strtab = Encoding.ASCII.GetString(image.SectionData((int)image.Sections[symtab].Link).Span);
        Assert.DoesNotContain("msg", Encoding.ASCII.GetString(image.SectionData(image.SectionNameTableIndex).Span));
        Assert.Single(strtab.Split('\0'), n => n == "keep");
    }

    [Fact]
    public void Writing_a_symbol_of_a_removed_section_is_an_error_naming_it()
    {
        string o = Assemble("orphan", ".section .text.gone,\"ax\",@progbits\n.globl gone\ngone: ret\n");
        using var obj = ElfObject.Read(o);
        obj.RemoveSection(obj.FindSection(".text.gone")!);
        var e = Assert.Throws<Kpk.Core.KpkException>(() => ElfWriter.ToBytes(obj));
        Assert.Contains("gone", e.Message);
        Assert.Contains(".text.gone", e.Message);
    }

    [Fact]
    public void Copy_through_the_cli_writes_the_same_content()
    {
        string o = Assemble("cli", ".text\n.globl f\nf: call g\nret\n");
        string copy = Path.Combine(_dir.Path, "cli-copy.o");
        var r = KpkProcess.Run("elf", "copy", o, copy);
        Assert.True(r.Exit == 0, r.Err);
        using var a = ElfObject.Read(o);
        using var b = ElfObject.Read(copy);
        ElfAssert.SameContent(a, b);

        var dump = KpkProcess.Run("elf", "dump", "--json", copy);
        Assert.Equal(0, dump.Exit);
        using var json = System.Text.Json.JsonDocument.Parse(dump.Out);
        Assert.Equal(a.Sections.Count, json.RootElement.GetProperty("sections").GetArrayLength());
        Assert.Equal(a.Symbols.Count, json.RootElement.GetProperty("symbols").GetArrayLength());
        var text = KpkProcess.Run("elf", "dump", copy);
        Assert.Contains("R_X86_64_PLT32", text.Out);
    }
}
