using System.Diagnostics;

namespace Kpk.Cli.Tests;

/// <summary>
/// ./kpk rebuilds itself when, and only when, one of kpk's sources is newer than the last build,
/// and says why on stderr. Run on a copy of the script in a scratch checkout whose <c>dotnet</c>
/// is a stand-in that records what it was asked to do: a real build takes a minute, and what is
/// tested here is the script's decision, not the build.
/// </summary>
public class RebuildTests
{
    [Fact]
    public void Kpk_rebuilds_only_for_a_changed_source_and_says_why()
    {
        using var repo = new ScratchCheckout();
        var first = repo.Kpk("--version");
        Assert.Equal("kpk: building kpk (it has not been built yet)...\n", first.Err);
        Assert.Equal(["publish", "run --version"], repo.DotnetCalls());

        repo.Age(".build/kpk/kpk.dll");
        Assert.Equal("", repo.Kpk("list").Err);
        // What dotnet build writes under obj/ and bin/ is never a reason.
        repo.Touch("src/Kpk.Cli/obj/Release/net10.0/kpk.AssemblyInfo.cs");
        repo.Touch("src/Kpk.Cli/bin/Release/net10.0/kpk.deps.props");
        Assert.Equal("", repo.Kpk("list").Err);
        Assert.Equal(["publish", "run --version", "run list", "run list"], repo.DotnetCalls());

        foreach (string source in new[] { "src/Kpk.Core/Reporter.cs", "src/Kpk.Build/include/kpk-patch.h", "src/Kpk.Cli/Kpk.Cli.csproj", "src/Directory.Build.props", "Directory.Build.props", "global.json" })
        {
            repo.Age(".build/kpk/kpk.dll");
            repo.Touch(source);
            var run = repo.Kpk("list");
            Assert.Equal($"kpk: building kpk ({source} changed since the last build)...\n", run.Err);
            Assert.Equal(["publish", "run list"], repo.DotnetCalls()[^2..]);
        }
    }

    [Fact]
    public void The_kernel_tier_uses_the_same_staleness_rule()
    {
        string lib = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests/kernel/lib.sh"));
        Assert.Contains("scripts/kpk-changed-source\" \"$bin\"", lib);
        Assert.DoesNotContain("-newer", lib);
    }

    /// <summary>A checkout with ./kpk, its staleness script, a few sources and a stand-in dotnet that logs its calls.</summary>
    private sealed class ScratchCheckout : IDisposable
    {
        private readonly TempDir _dir = TestPaths.TempDir("kpk-rebuild");
        private DateTime _clock = DateTime.Now.AddHours(-10);

        public ScratchCheckout()
        {
            Directory.CreateDirectory(_dir["scripts"]);
            Directory.CreateDirectory(_dir["bin"]);
            File.Copy(Path.Combine(TestPaths.RepoRoot, "kpk"), _dir["kpk"]);
            File.Copy(Path.Combine(TestPaths.RepoRoot, "scripts/kpk-changed-source"), _dir["scripts/kpk-changed-source"]);
            foreach (string f in new[] { "src/Kpk.Core/Reporter.cs", "src/Kpk.Build/include/kpk-patch.h", "src/Kpk.Cli/Kpk.Cli.csproj", "src/Directory.Build.props", "Directory.Build.props", "global.json" })
                Touch(f);
            File.WriteAllText(_dir["bin/dotnet"], """
                #!/bin/sh
                case "$1" in
                  publish) echo publish >> "$DOTNET_LOG"; while [ "$1" != -o ]; do shift; done; mkdir -p "$2"; : > "$2/kpk.dll" ;;
                  *) shift; echo "run $*" >> "$DOTNET_LOG" ;;
                esac
                """);
            File.SetUnixFileMode(_dir["bin/dotnet"], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        /// <summary>Creates or rewrites FILE, dated after everything so far.</summary>
        public void Touch(string file)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_dir[file])!);
            File.AppendAllText(_dir[file], "x");
            File.SetLastWriteTime(_dir[file], _clock = _clock.AddMinutes(1));
        }

        /// <summary>Dates FILE after everything so far (as a build just done).</summary>
        public void Age(string file) => File.SetLastWriteTime(_dir[file], _clock = _clock.AddMinutes(1));

        public string[] DotnetCalls() => File.ReadAllLines(_dir["dotnet.log"]);

        public KpkProcess.Outcome Kpk(params string[] args)
        {
            var psi = new ProcessStartInfo(_dir["kpk"]) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in args) psi.ArgumentList.Add(a);
            psi.Environment["PATH"] = _dir["bin"] + ":" + Environment.GetEnvironmentVariable("PATH");
            psi.Environment["DOTNET_LOG"] = _dir["dotnet.log"];
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            string stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, stderr);
            return new KpkProcess.Outcome(p.ExitCode, stdout.Result, stderr);
        }

        public void Dispose() => _dir.Dispose();
    }
}
