global using Kpk.Tests;
global using Xunit;

// The tests exercise hard links, Unix modes and GNU tools: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
