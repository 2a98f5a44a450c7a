using System.CommandLine;
using System.Text.Json;
using Kpk.Core;
using Kpk.Wedge.Deb;

namespace Kpk.Cli.Commands;

/// <summary><c>kpk wedge build</c>: write the .udeb files of the staged udeb packages, without dpkg-deb.</summary>
public static class WedgeBuildCommand
{
    public static Command Create()
    {
        var packages = new Argument<string[]>("PACKAGE") { Description = "Udeb packages to build (default: every udeb in debian/control built on the host architecture)", Arity = ArgumentArity.ZeroOrMore };
        var dir = new Option<string>("--dir") { Description = "The debian/ directory with control, changelog and the staged trees", DefaultValueFactory = _ => "debian" };
        var output = new Option<string?>("--out", "-o") { Description = "Where to write the .udeb files (default: the parent of the source tree, like dh_builddeb)" };
        var version = new Option<string?>("--version") { Description = "Binary version to use instead of debian/changelog's" };
        var arch = new Option<string?>("--arch") { Description = "Host architecture (default: DEB_HOST_ARCH, else this machine's)" };
        var epoch = new Option<long?>("--source-date-epoch") { Description = "Time stamped on every member (default: SOURCE_DATE_EPOCH, else the changelog entry's date)" };
        var noCompress = new Option<bool>("--no-compress") { Description = "Compress the xz members at xz's fastest level (-0) instead of dh_builddeb's -6 -e (faster, larger)" };
        var json = CommonOptions.Json();
        var verbose = CommonOptions.Verbose();
        var cmd = new Command("build", "Build .udeb files (ar of debian-binary, control.tar.xz, data.tar.xz) from debian/control and the staged debian/PACKAGE/ trees")
        {
            packages, dir, output, version, arch, epoch, noCompress, json, verbose,
        };
        cmd.SetAction(pr =>
        {
            var outWriter = pr.InvocationConfiguration.Output;
            var reporter = new TextReporter(pr.InvocationConfiguration.Error, pr.GetValue(verbose));
            var built = UdebBuilder.Build(new UdebBuildOptions
            {
                DebianDirectory = pr.GetValue(dir)!,
                OutputDirectory = pr.GetValue(output),
                Packages = pr.GetValue(packages) ?? [],
                Version = pr.GetValue(version),
                HostArch = pr.GetValue(arch),
                SourceDateEpoch = pr.GetValue(epoch),
                Compress = !pr.GetValue(noCompress),
            }, reporter);
            if (pr.GetValue(json))
            {
                IReadOnlyList<WedgeBuildView> view = built.Select(b => new WedgeBuildView(b.Package, b.Path, b.Size,
                    b.Control.Version.Text, b.Control.Architecture, b.Control["Installed-Size"])).ToList();
                outWriter.WriteLine(KpkJson.Serialize(view));
            }
            else
            {
                foreach (var b in built) outWriter.WriteLine($"{b.Path} ({b.Size} bytes)");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
