// kpk is a Linux tool: its tests use Unix file modes, /proc and kbuild.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
