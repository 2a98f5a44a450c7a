using Kpk.Tests;
using Xunit;

namespace Kpk.Diff.Tests;

public class DemoTests
{
    [Fact]
    public void Demo_patches_the_bundled_example()
    {
        var r = KpkProcess.Run("demo", "--objects-only");
        Assert.True(r.Exit == 0, r.Err + r.Out);
        Assert.Contains("replaces uptime_proc_show in vmlinux", r.Out);
        Assert.Contains(".klp.sym.vmlinux.reads.", r.Out);
        Assert.Contains("applying uptime.patch", r.Err);
    }
}
