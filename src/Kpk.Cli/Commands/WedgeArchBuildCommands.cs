using System.CommandLine;
using Kpk.Core;
using Kpk.Wedge;

namespace Kpk.Cli.Commands;

/// <summary><c>kpk wedge build-all | build-arch ARCH</c>: dpkg-buildpackage for each architecture of kernel-versions, as kernel-wedge's wrappers do.</summary>
public static class WedgeArchBuildCommands
{
    public static Command BuildAll()
    {
        var cmd = new Command("build-all", "Build the source package and every architecture listed in kernel-versions (build-arch for each)");
        cmd.SetAction(_ =>
        {
            Builds().BuildAll();
            return ExitCodes.Ok;
        });
        return cmd;
    }

    public static Command BuildArch()
    {
        var arch = new Argument<string>("ARCH") { Description = "A Debian architecture listed in kernel-versions; its unpacked kernel packages in ../ARCH" };
        var cmd = new Command("build-arch", "Build the source package, then ARCH's binaries (cross with a stub compiler when ARCH is not the build machine's)") { arch };
        cmd.SetAction(pr =>
        {
            Builds().BuildArch(pr.GetValue(arch)!);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static ArchitectureBuilds Builds() => new(Environment.CurrentDirectory, Environment.GetEnvironmentVariable);
}
