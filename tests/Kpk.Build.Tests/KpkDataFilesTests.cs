using Kpk.Build;
using Kpk.Tests;
using Xunit;

namespace Kpk.Build.Tests;

public class KpkDataFilesTests
{
    [Fact]
    public void Finds_the_header_beside_a_checkout_build_and_in_share_for_a_packaged_binary()
    {
        using var dir = TestPaths.TempDir();
        string checkout = Path.Combine(dir.Path, "checkout") + "/";
        Directory.CreateDirectory(Path.Combine(checkout, "include"));
        File.WriteAllText(Path.Combine(checkout, "include", "kpk-patch.h"), "");
        Assert.Equal(Path.Combine(checkout, "include", "kpk-patch.h"), KpkDataFiles.Find("kpk-patch.h", checkout));

        string usr = Path.Combine(dir.Path, "usr");
        Directory.CreateDirectory(Path.Combine(usr, "bin"));
        Directory.CreateDirectory(Path.Combine(usr, "share", "kpk"));
        File.WriteAllText(Path.Combine(usr, "share", "kpk", "kpk-patch.h"), "");
        Assert.Equal(Path.Combine(usr, "share", "kpk", "kpk-patch.h"), KpkDataFiles.Find("kpk-patch.h", Path.Combine(usr, "bin") + "/"));
    }

    [Fact]
    public void A_missing_header_is_named_where_that_layout_keeps_it()
    {
        using var dir = TestPaths.TempDir();
        string bin = Path.Combine(dir.Path, "usr", "bin") + "/";
        Assert.Equal(Path.Combine(dir.Path, "usr", "share", "kpk", "kpk-patch.h"), KpkDataFiles.Find("kpk-patch.h", bin));
        string build = Path.Combine(dir.Path, ".build", "kpk") + "/";
        Assert.Equal(Path.Combine(build, "include", "kpk-patch.h"), KpkDataFiles.Find("kpk-patch.h", build));
    }

    [Fact]
    public void The_running_build_has_its_header()
    {
        Assert.True(File.Exists(KpkDataFiles.Find("kpk-patch.h")), KpkDataFiles.Find("kpk-patch.h"));
    }
}
