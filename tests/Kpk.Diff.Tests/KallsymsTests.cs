using Kpk.Core;
using Kpk.Diff;
using Xunit;

namespace Kpk.Diff.Tests;

/// <summary>Binding against a copy of /proc/kallsyms, which has no file symbols: same-named locals told apart by their neighbours.</summary>
public class KallsymsTests
{
    // As Debian 6.1's kallsyms orders them: cpuinfo's c_start/c_next/c_stop (arch/x86/kernel/cpu/proc.c)
    // come before /proc/consoles' (fs/proc/consoles.c), each among its own file's functions.
    private const string Table = """
        ffffffff81000000 T _stext
        ffffffff81041000 t show_cpuinfo
        ffffffff81041400 t c_start
        ffffffff81041440 t c_next
        ffffffff81041460 t c_stop
        ffffffff81200000 T proc_create_seq_private
        ffffffff81233000 t show_console_dev
        ffffffff81233200 t c_start
        ffffffff81233260 t c_next
        ffffffff81233280 t c_stop
        ffffffff81233290 t consoles_open
        ffffffff82000000 d consoles_op
        ffffffff82000100 d cpuinfo_op
        ffffffff83000000 t proc_consoles_init
        ffffffffc0000000 t bm_status_read	[binfmt_misc]
        """;

    private static ParentSymbolTable Load(string text)
    {
        string file = Path.GetTempFileName();
        File.WriteAllText(file, text);
        try { return ParentSymbolTable.LoadKallsyms(file); }
        finally { File.Delete(file); }
    }

    [Fact]
    public void A_duplicated_local_is_the_one_among_the_objects_other_functions()
    {
        var table = Load(Table);
        var consoles = table.FindBlock("consoles.c", ["show_console_dev", "c_start", "c_next", "c_stop", "consoles_open", "consoles_op", "proc_consoles_init"])!;
        Assert.Equal(2ul, table.LocalSympos(consoles, "c_next"));
        Assert.Equal(2ul, table.LocalSympos(consoles, "c_start"));
        Assert.Equal(0ul, table.LocalSympos(consoles, "show_console_dev"));
        var cpu = table.FindBlock("proc.c", ["show_cpuinfo", "c_start", "c_next", "c_stop", "cpuinfo_op"])!;
        Assert.Equal(1ul, table.LocalSympos(cpu, "c_next"));
    }

    [Fact]
    public void Module_symbols_and_globals_are_read_apart()
    {
        var table = Load(Table);
        Assert.True(table.HasGlobal("proc_create_seq_private"));
        Assert.False(table.HasLocal("bm_status_read")); // a module's: bound through binfmt_misc.ko
        Assert.True(table.FromKallsyms);
    }

    [Fact]
    public void Without_a_uniquely_named_neighbour_kpk_refuses_naming_the_candidates()
    {
        var table = Load(Table);
        var block = table.FindBlock("consoles.c", ["c_next", "c_stop"])!;
        var e = Assert.Throws<KpkException>(() => table.LocalSympos(block, "c_next"));
        Assert.Contains("c_next of consoles.c is one of 2 of that name in kallsyms", e.Message);
        Assert.Contains("ffffffff81041440 c_next, between c_start and c_stop", e.Message);
        Assert.Contains("--vmlinux", e.Message);
    }

    [Fact]
    public void A_line_that_is_not_kallsyms_is_named_with_its_number()
    {
        var e = Assert.Throws<KpkException>(() => Load("ffffffff81000000 T _stext\nnot a symbol line\n"));
        Assert.Contains(":2: not a kallsyms line", e.Message);
    }
}
