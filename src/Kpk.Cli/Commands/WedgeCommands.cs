using System.CommandLine;
using Kpk.Core;
using Kpk.Wedge;

namespace Kpk.Cli.Commands;

/// <summary>
/// <c>kpk wedge COMMAND</c>: Debian kernel-wedge's module packaging. Every command reads the
/// same environment as kernel-wedge (KW_DEFCONFIG_DIR, KW_CONFIG_DIR, SOURCEDIR,
/// KW_CHECK_NONFATAL, DEB_HOST_ARCH) and prints what kernel-wedge prints.
/// </summary>
public static class WedgeCommands
{
    public static Command Create()
    {
        var wedge = new Command("wedge", "Split a kernel's modules into debian-installer packages, as Debian's kernel-wedge does");
        wedge.Subcommands.Add(GenControl());
        wedge.Subcommands.Add(GenDeps());
        wedge.Subcommands.Add(Preprocess());
        wedge.Subcommands.Add(CopyModules());
        wedge.Subcommands.Add(FindDups());
        wedge.Subcommands.Add(FindUnpackaged());
        wedge.Subcommands.Add(InstallFiles());
        wedge.Subcommands.Add(Check());
        wedge.Subcommands.Add(WedgeBuildCommand.Create());
        wedge.Subcommands.Add(WedgeArchBuildCommands.BuildAll());
        wedge.Subcommands.Add(WedgeArchBuildCommands.BuildArch());
        wedge.Subcommands.Add(Help(wedge));
        return wedge;
    }

    private static WedgeEnvironment Env() => WedgeEnvironment.From(Environment.GetEnvironmentVariable, Environment.CurrentDirectory);

    /// <summary>Runs a command body; file system failures become one clear line, not an internal error.</summary>
    private static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KpkException(e.Message, WedgeExit.Failed, e);
        }
    }

    private static Command GenControl()
    {
        var version = new Argument<string?>("VERSION") { Description = "The kernel version, for kernel-versions lines that leave it as \"-\"", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("gen-control", "Print the control stanzas of the module packages (after debian/control.stub when the kernels are build-dependencies)") { version };
        cmd.SetAction(pr => Run(() =>
        {
            Console.Out.Write(ControlGenerator.Generate(Env(), pr.GetValue(version)));
            return 0;
        }));
        return cmd;
    }

    private static Command GenDeps()
    {
        var flavour = new Argument<string?>("FLAVOUR") { Description = "The kernel flavour", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("gen-deps", "Print which module packages depend on which, for the host architecture and a flavour (tsort input)") { flavour };
        cmd.SetAction(pr => Run(() =>
        {
            foreach (var pair in PackageDependencies.For(Env(), pr.GetValue(flavour) ?? ""))
                Console.Out.Write(PackageDependencies.Format(pair) + "\n");
            return 0;
        }));
        return cmd;
    }

    private static Command Preprocess()
    {
        // Optional in the parser so that a missing one exits 2, as kernel-wedge does.
        var list = new Argument<string?>("LIST") { Description = "The module list file", Arity = ArgumentArity.ZeroOrOne };
        var moduleDir = new Argument<string?>("MODULEDIR") { Description = "The kernel's module directory (lib/modules/VERSION)", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("preprocess", "Print the module files a module list names: includes, removals and wildcards expanded") { list, moduleDir };
        cmd.SetAction(pr => Run(() =>
        {
            var env = Env();
            env.RequireDefConfigDir();
            if (pr.GetValue(list) is not { } listPath || pr.GetValue(moduleDir) is not { } dir)
                throw new KpkException("preprocess: Required parameters missing (LIST MODULEDIR)", WedgeExit.NoSuchFile);
            var tree = ModuleTree.Scan(env.Resolve(dir), env.IsLinux);
            if (!tree.Exists) Console.Error.Write($"kpk: warning: module directory {dir} does not exist\n");
            var result = new ModuleListPreprocessor(env, tree, Console.Error).Run(listPath);
            if (ModuleListPreprocessor.ReportMissing(result, env, Console.Error)) return WedgeExit.Failed;
            Console.Out.Write(string.Concat(result.Modules.Select(m => m + "\n")));
            return 0;
        }));
        return cmd;
    }

    private static Command CopyModules()
    {
        var version = new Argument<string>("VERSION") { Description = "The kernel version, as in package names" };
        var flavour = new Argument<string>("FLAVOUR") { Description = "The kernel flavour" };
        var installed = new Argument<string>("INSTALLEDNAME") { Description = "The module directory's name (lib/modules/INSTALLEDNAME)" };
        var cmd = new Command("copy-modules", "Copy each module list's modules, and the modules they need, into debian/PACKAGE") { version, flavour, installed };
        cmd.SetAction(pr => Run(() =>
        {
            var env = Env();
            var split = ModuleSplitter.Plan(env, pr.GetValue(version)!, pr.GetValue(flavour)!, pr.GetValue(installed)!, Console.Error);
            if (split != null) ModuleSplitter.Write(env, split);
            return 0;
        }));
        return cmd;
    }

    private static Command FindDups()
    {
        var kernel = new Argument<string>("KERNEL") { Description = "VERSION-FLAVOUR, as in the package names" };
        var cmd = new Command("find-dups", "List modules that more than one package holds") { kernel };
        cmd.SetAction(pr => Run(() =>
        {
            var env = Env();
            return DuplicateFinder.Report(env, DuplicateFinder.Find(env, pr.GetValue(kernel)!), Console.Out, Console.Error);
        }));
        return cmd;
    }

    private static Command FindUnpackaged()
    {
        var kernel = new Argument<string>("KERNEL") { Description = "VERSION-FLAVOUR, as in the package names" };
        var installed = new Argument<string?>("INSTALLEDNAME") { Description = "The module directory's name (default: KERNEL)", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("find-unpackaged", "List the kernel's modules that no module package holds") { kernel, installed };
        cmd.SetAction(pr => Run(() =>
        {
            string k = pr.GetValue(kernel)!;
            Console.Out.Write(UnpackagedFinder.Format(k, UnpackagedFinder.Find(Env(), k, pr.GetValue(installed) ?? k)));
            return 0;
        }));
        return cmd;
    }

    private static Command InstallFiles()
    {
        var version = new Argument<string?>("VERSION") { Description = "The kernel version, for kernel-versions lines that leave it as \"-\"", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("install-files", "Fill the package build directories of every kernel of the host architecture") { version };
        cmd.SetAction(pr => Run(() =>
        {
            new FileInstaller(Env(), Console.Out, Console.Error).Run(pr.GetValue(version));
            return 0;
        }));
        return cmd;
    }

    private static Command Check()
    {
        var packages = new Argument<string[]>("PACKAGE") { Description = "Packages to check (default: the architecture-specific packages of debian/control)", Arity = ArgumentArity.ZeroOrMore };
        var cmd = new Command("check", "Fail when a package would be empty") { packages };
        cmd.SetAction(pr => Run(() =>
        {
            var env = Env();
            var empty = PackageChecker.Empty(env, PackageChecker.Packages(env, pr.GetValue(packages) ?? []));
            return PackageChecker.Report(env, empty, Console.Error);
        }));
        return cmd;
    }

    private static Command Help(Command wedge)
    {
        var command = new Argument<string?>("COMMAND") { Description = "The command to explain", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("help", "Explain a wedge command") { command };
        cmd.SetAction(pr =>
        {
            string? name = pr.GetValue(command);
            if (name == null)
            {
                Console.Out.Write("Usage: kpk wedge COMMAND [ARGUMENTS]\nCommands:\n");
                foreach (var c in wedge.Subcommands) Console.Out.Write($"\t{c.Name,-16}{c.Description}\n");
                return 0;
            }
            var found = wedge.Subcommands.FirstOrDefault(c => c.Name == name);
            if (found == null)
            {
                Console.Error.Write("No such command.\n");
                return WedgeExit.Failed;
            }
            string usage = string.Join(' ', found.Arguments.Select(a => a.Arity.MinimumNumberOfValues == 0 ? $"[{a.Name}]" : a.Name));
            Console.Out.Write($"kpk wedge {found.Name} {usage}\n\n{found.Description}.\n");
            if (Details.TryGetValue(found.Name, out var more)) Console.Out.Write("\n" + more.Trim() + "\n");
            return 0;
        });
        return cmd;
    }

    /// <summary>What each command does in detail: the long help, in place of kernel-wedge's man pages.</summary>
    private static readonly Dictionary<string, string> Details = new(StringComparer.Ordinal)
    {
        ["gen-control"] = """
            For each kernel in KW_CONFIG_DIR/kernel-versions and each module list of its flavour
            (modules/ARCH-FLAVOUR, modules/FLAVOUR or modules/ARCH), prints a udeb stanza from the
            package-list templates (KW_DEFCONFIG_DIR's, overridden field by field by KW_CONFIG_DIR's).
            A field Name_FLAVOUR, Name_ARCH_FLAVOUR or Name_ARCH wins over Name, in that order.
            Package and Depends names get "-VERSION-FLAVOUR-di"; a dependency without a module list is
            dropped unless written "name!". Packages listed in exclude-packages are left out.
            When kernel-versions names build-dependencies, debian/control.stub comes first with them
            added to Build-Depends.
            """,
        ["gen-deps"] = """
            Prints "PACKAGE<TAB>DEPENDENCY" for every Depends entry between module lists of the host
            architecture (DEB_HOST_ARCH) and FLAVOUR, sorted.
            """,
        ["preprocess"] = """
            Reads a module list: "#include <name>" (from KW_DEFCONFIG_DIR/modules), #include "path"
            (beside the list), "name ?" or "-name" (optional), "name -" (remove what is listed so far),
            wildcards ? and * within a path component and ** across them ("-" and "_" match each
            other). A plain name is found anywhere, preferring kernel/; a module built into the kernel
            (modules.builtin) counts as found. Prints the module files, sorted. Exits 1 when a required
            module or directory is missing, unless KW_CHECK_NONFATAL is set. Including a list twice is
            fine; a list including itself is an error naming the loop.
            """,
        ["copy-modules"] = """
            Expands each module list against SOURCEDIR[/usr]/lib/modules/INSTALLEDNAME and adds the
            modules they need (modules.dep, or depmod -n when SOURCEDIR is set; DEPMOD names another
            depmod) unless a package they depend on holds them. Packages are handled dependencies
            first; a dependency cycle is an error naming it. Nothing is written until every list was
            expanded. Each package of debian/control with modules gets them under debian/PACKAGE and
            a postinst running depmod.
            """,
        ["find-dups"] = """
            Prints each pair of packages (debian/kernel-image-KERNEL-di, debian/*-modules-KERNEL-di)
            holding the same file. Exits 1 when there are any, unless KW_CONFIG_DIR/ignore-dups exists
            or KW_CHECK_NONFATAL is set. Package directories that do not exist yet are skipped.
            """,
        ["find-unpackaged"] = """
            Prints the modules of SOURCEDIR[/usr]/lib/modules/INSTALLEDNAME that no
            debian/*-modules-KERNEL-di package holds. Always exits 0 when the module directory exists.
            """,
        ["install-files"] = """
            For each kernel of the host architecture: installs the kernel image, System.map,
            modules.builtin and modules.order into the kernel-image package (when there is a
            kernel-image module list), then runs copy-modules, find-dups and find-unpackaged,
            printing each step as the kernel-wedge command it stands for.
            """,
        ["check"] = """
            Reports "PACKAGE will be empty" for each package (by default the architecture-specific
            packages of debian/control) without a file under debian/PACKAGE; exits 1 then unless
            KW_CHECK_NONFATAL is set.
            """,
    };
}
