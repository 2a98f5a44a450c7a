using System.Buffers.Binary;
using Kpk.Core;
using Kpk.Elf;
using Kpk.Tests;
using Xunit;

namespace Kpk.Diff.Tests;

/// <summary>
/// What differs between architectures, on small C files compiled with Debian's cross compilers
/// (gcc-powerpc64le-linux-gnu, gcc-aarch64-linux-gnu; the tests fail naming the package when
/// one is missing): ppc64le's TOC references, sibling calls and local entry points; aarch64's
/// mapping symbols and patchable function entries; the one refusal of an unknown machine.
/// </summary>
public class ArchitectureTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.TempDir("kpk-arch");
    public void Dispose() => _dir.Dispose();

    private sealed record Run(DiffResult Result, ElfObject Written, ElfObject Orig, ElfObject Patched) : IDisposable
    {
        public void Dispose() { Written?.Dispose(); Orig.Dispose(); Patched.Dispose(); }
    }

    private Run Diff(string arch, string orig, string patched)
    {
        string o = Tools.CompileFor(arch, _dir.Path, "unit", orig, "orig");
        string p = Tools.CompileFor(arch, _dir.Path, "unit", patched, "patched");
        var origObj = ElfObject.Read(o);
        var patchedObj = ElfObject.Read(p);
        var result = ObjectDiffer.Diff(origObj, patchedObj, new DiffOptions { Parent = ParentSymbolTable.Load(o) });
        ElfObject written = null!;
        if (result.Output != null)
        {
            string path = Path.Combine(_dir.Path, arch, "patch.o");
            ElfWriter.Write(result.Output, path, new ElfWriteOptions { CompactStringTables = true });
            Tools.AssertToolsAccept(path, CrossTools.Prefix(arch));
            written = ElfObject.Read(path);
            var a = Architecture.For(written.Machine, path);
            Assert.Equal(arch, a.Name);
            foreach (var s in written.Sections.Where(s => s.Relocations != null))
                foreach (var r in s.Relocations!)
                    Assert.True(a.ModuleLoaderAccepts(r.Type), $"{s.Name}: {a.RelocationName(r.Type)} is not applied by the module loader");
        }
        return new Run(result, written, origObj, patchedObj);
    }

    private const string Prelude = """
        extern int printk(const char *fmt, ...);
        extern int ga, gb, gc;
        #define noinline __attribute__((noinline))

        """;

    [Fact]
    public void Ppc64le_toc_entries_that_move_do_not_change_the_functions_using_them()
    {
        // The new reference to gc in f comes first in .toc: every entry g uses moves.
        string orig = Prelude + "int f(int x) { return printk(\"f %d\\n\", x) + ga; }\nint g(int x) { return printk(\"g %d\\n\", x) + gb; }\n";
        string patched = orig.Replace("+ ga; }", "+ gc + ga; }");
        using var run = Diff("ppc64le", orig, patched);
        Assert.Equal(DiffOutcome.Patched, run.Result.Outcome);
        Assert.Equal(["f"], run.Result.Replaced);
        // The patch carries .toc, whose entries the livepatch code reaches its data through.
        var toc = run.Written.FindSection(".toc");
        Assert.NotNull(toc);
        Assert.Contains(run.Written.FindSection(".rela.toc")!.Relocations!, r => r.Symbol?.Name == "gc");
        Assert.Equal(2u, run.Written.Flags & 3); // ELFv2, as the inputs
    }

    [Fact]
    public void Ppc64le_sibling_call_out_of_the_patch_is_refused()
    {
        string orig = Prelude + "static noinline int helper(int x) { return printk(\"h %d\\n\", x) + ga; }\n" +
                      "int g(int x) { if (x) return helper(x + 1); return gb; }\n";
        string patched = orig.Replace("return gb;", "return gb + 2;");
        using var run = Diff("ppc64le", orig, patched);
        Assert.Equal(DiffOutcome.Unsupported, run.Result.Outcome);
        Assert.Contains(run.Result.Errors, e => e.Contains("sibling call") && e.Contains("helper") && e.Contains("function g"));
    }

    [Fact]
    public void Ppc64le_sibling_call_to_a_function_the_patch_carries_is_accepted()
    {
        string orig = Prelude + "static noinline int helper(int x) { return printk(\"h %d\\n\", x) + ga; }\n" +
                      "int g(int x) { if (x) return helper(x + 1); return gb; }\n";
        string patched = orig.Replace("return gb;", "return gb + 2;").Replace("\"h %d\\n\"", "\"h2 %d\\n\"");
        using var run = Diff("ppc64le", orig, patched);
        Assert.True(run.Result.Outcome == DiffOutcome.Patched, string.Join("; ", run.Result.Errors));
        Assert.Equal(["g", "helper"], run.Result.Replaced.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Ppc64le_local_entry_point_and_mcount_site_are_kept()
    {
        string orig = Prelude + "int f(int x) { return printk(\"f %d\\n\", x) + ga; }\n";
        using var run = Diff("ppc64le", orig, orig.Replace("\"f %d\\n\"", "\"F %d\\n\""));
        var before = run.Patched.FindSymbol("f")!;
        var after = run.Written.FindSymbol("f")!;
        Assert.NotEqual(0, Ppc64Abi.LocalEntryOffset(before.Other));
        Assert.Equal(before.Other, after.Other);   // calls within the patch enter at the local entry
        Assert.Equal(before.Value, after.Value);
        // __mcount_loc points at the bl _mcount of f, as the compiler's own did.
        var site = Assert.Single(run.Written.FindSection(".rela__mcount_loc")!.Relocations!);
        Assert.Equal(Ppc64Relocation.Addr64, site.Type);
        var text = after.Section!;
        var mcount = run.Written.RelocationSectionsFor(text).SelectMany(r => r.Relocations!).Single(r => r.Symbol?.Name == "_mcount");
        Assert.Equal((long)mcount.Offset, (long)site.Symbol!.Value + site.Addend);
        Assert.Equal(0x48000001u, BinaryPrimitives.ReadUInt32LittleEndian(text.Data.Span[(int)mcount.Offset..]) & 0xfc000003);
    }

    [Fact]
    public void Aarch64_mapping_symbols_are_not_paired_and_come_with_what_is_carried()
    {
        string orig = Prelude + "int f(int x) { return printk(\"f %d\\n\", x) + ga; }\nint g(int x) { return printk(\"g %d\\n\", x) + gb; }\n";
        using var run = Diff("aarch64", orig, orig.Replace("+ gb; }", "+ gb + 1; }"));
        Assert.Equal(["g"], run.Result.Replaced);
        var g = run.Written.FindSymbol("g")!;
        var mapping = run.Written.Symbols.Where(s => s.Name.StartsWith('$')).ToList();
        Assert.Contains(mapping, s => s.Name == "$x" && s.Section == g.Section && s.Value == 0);
        // f's section is not carried, and neither are its mapping symbols.
        Assert.All(mapping, s => Assert.NotNull(s.Section));
        Assert.Null(run.Written.FindSection(".text.f"));
    }

    [Fact]
    public void Aarch64_patchable_entries_are_regenerated_for_the_carried_functions()
    {
        string orig = Prelude + "int f(int x) { return printk(\"f %d\\n\", x) + ga; }\nint g(int x) { return printk(\"g %d\\n\", x) + gb; }\n";
        using var run = Diff("aarch64", orig, orig.Replace("+ ga; }", "+ ga + 1; }"));
        Assert.Equal(["f"], run.Result.Replaced);
        var f = run.Written.FindSymbol("f")!;
        Assert.Equal(8UL, f.Value); // two nops before the symbol (-fpatchable-function-entry=4,2)
        var entries = run.Written.Sections.Where(s => s.Name == "__patchable_function_entries").ToList();
        var entry = Assert.Single(entries);
        var site = Assert.Single(run.Written.RelocationSectionsFor(entry).SelectMany(r => r.Relocations!));
        Assert.Equal(Aarch64Relocation.Abs64, site.Type);
        // The same place the compiler listed: the section's start, 8 bytes before f.
        Assert.Equal(0L, (long)site.Symbol!.Value + site.Addend);
        Assert.Same(f.Section, site.Symbol.Section);
        Assert.Null(run.Written.FindSection("__mcount_loc"));
    }

    [Fact]
    public void An_unknown_machine_is_refused_in_one_place_naming_the_file()
    {
        string dir = Path.Combine(TestPaths.Conformance, "diff-object", "x86_64");
        byte[] bytes = File.ReadAllBytes(Path.Combine(dir, "cold-add.ORIG.o"));
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(18), 22); // EM_S390
        using var o = ElfObject.Parse(bytes, "s390.o");   // Kpk.Elf reads any ELF64 LE machine
        using var p = ElfObject.Parse((byte[])bytes.Clone(), "s390-patched.o");
        var e = Assert.Throws<KpkException>(() => ObjectDiffer.Diff(o, p, new DiffOptions { Parent = ParentSymbolTable.Load(Path.Combine(dir, "cold-add.ORIG.o")) }));
        Assert.Contains("s390.o", e.Message);
        Assert.Contains("machine 22", e.Message);
        Assert.Contains("x86_64, ppc64le, aarch64", e.Message);
    }
}
