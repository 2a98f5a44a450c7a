using System.CommandLine;
using Kpk.Wedge;
using Kpk.Wedge.Deb;

namespace Kpk.Cli.Commands;

/// <summary>
/// <c>kpk deb build DIR</c> (a .deb from a staged tree, as dpkg-deb --build plus md5sums and
/// Installed-Size) and <c>kpk deb patch kpk-ID.tar.gz</c> (a live patch as a package).
/// </summary>
public static class DebCommands
{
    public static Command Create()
    {
        var deb = new Command("deb", "Debian packages: build one from a staged tree, or turn a live patch tarball into one");
        deb.Subcommands.Add(Build());
        deb.Subcommands.Add(Patch());
        return deb;
    }

    private static Option<string> OutputOption() => new("--out", "-o")
    {
        Description = "Directory to write the .deb to",
        DefaultValueFactory = _ => ".",
        HelpName = "DIR",
    };

    private static Command Build()
    {
        var dir = new Argument<string>("DIR") { Description = "The staged package: DIR/DEBIAN/control (and maintainer scripts, conffiles), the files beside DEBIAN/" };
        var output = OutputOption();
        var epoch = new Option<long?>("--source-date-epoch") { Description = "Time stamped on every member (default: SOURCE_DATE_EPOCH, else now)" };
        var cmd = new Command("build", "Build PACKAGE_VERSION_ARCH.deb from a staged tree, adding md5sums and Installed-Size") { dir, output, epoch };
        cmd.SetAction(pr =>
        {
            var built = BinaryPackageBuilder.Build(pr.GetValue(dir)!, pr.GetValue(output)!, pr.GetValue(epoch));
            Console.Out.WriteLine(built.Path);
            return 0;
        });
        return cmd;
    }

    private static Command Patch()
    {
        var file = new Argument<string>("TARBALL") { Description = "A kpk-ID.tar.gz from kpk create" };
        var output = OutputOption();
        var kernelVersion = new Option<string?>("--kernel-version") { Description = "Version of the linux-image-RELEASE package the patch was built for: the package depends on exactly it", HelpName = "VERSION" };
        var version = new Option<string?>("--version") { Description = "Package version (default: the patch's creation time, YYYYMMDD.HHMMSS)" };
        var arch = new Option<string?>("--arch") { Description = "Debian architecture (default: DEB_HOST_ARCH, else this machine's)" };
        var cmd = new Command("patch", "Turn a live patch tarball into a .deb that installs it for its kernel, loads it and undoes it on removal") { file, output, kernelVersion, version, arch };
        cmd.SetAction(pr =>
        {
            var built = LivePatchDeb.Build(pr.GetValue(file)!, new LivePatchDebOptions
            {
                OutputDirectory = pr.GetValue(output)!,
                KernelPackageVersion = pr.GetValue(kernelVersion),
                Version = pr.GetValue(version),
                Architecture = pr.GetValue(arch),
            });
            Console.Out.WriteLine(built.Path);
            return 0;
        });
        return cmd;
    }
}
