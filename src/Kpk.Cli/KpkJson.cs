using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Kpk.Core;
using Kpk.Elf;
using Kpk.Runtime;

namespace Kpk.Cli;

/// <summary>
/// Every verb's <c>--json</c> output: snake_case names, indented, nulls left out. The serializers
/// are generated at compile time for the types listed on <see cref="KpkJsonContext"/>, because
/// the native (ahead-of-time compiled) kpk has no reflection to build them at run time; a type
/// printed as JSON must be listed there.
/// </summary>
public static class KpkJson
{
    public static string Serialize<T>(T value)
    {
        var info = KpkJsonContext.Default.GetTypeInfo(typeof(T)) as JsonTypeInfo<T>
            ?? throw new InvalidOperationException($"{typeof(T).Name} is not listed on KpkJsonContext, so it cannot be printed as JSON");
        return JsonSerializer.Serialize(value, info);
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ElfView))]
[JsonSerializable(typeof(PatchInfo))]
[JsonSerializable(typeof(PatchListing))]
[JsonSerializable(typeof(ApplyResult))]
[JsonSerializable(typeof(UndoResult))]
[JsonSerializable(typeof(LoadInstalledResult))]
[JsonSerializable(typeof(PatchManifest))]
[JsonSerializable(typeof(CreateView))]
[JsonSerializable(typeof(DiffView))]
[JsonSerializable(typeof(TaintView))]
[JsonSerializable(typeof(IReadOnlyList<WedgeBuildView>))]
internal sealed partial class KpkJsonContext : JsonSerializerContext;

/// <summary>A replaced function as create and diff-object print it.</summary>
public sealed record FunctionView(string Name, string Object, ulong Sympos);

public sealed record CreateView(string? Module, string? Archive, string CacheEntry, bool CacheReused, string OriginalBuild,
    IReadOnlyList<string> ChangedObjects, IReadOnlyList<FunctionView> Functions, IReadOnlyList<string> Warnings,
    string? WorkDirectory, PatchManifest? Manifest);

public sealed record DiffView(string Outcome, IReadOnlyList<string> Replaced, IReadOnlyList<string> New,
    IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings, IReadOnlyList<FunctionView> Functions, IReadOnlyList<FunctionView> Bindings);

public sealed record TaintFlagView(int Bit, string Letter, ulong Value, string Name, string Reason, bool Suse);

public sealed record TaintView(ulong Value, string Hex, string Tainted, string Layout, IReadOnlyList<TaintFlagView> Flags,
    IReadOnlyList<int> UnknownBits, string? Supported);

public sealed record WedgeBuildView(string Package, string File, long Size, string Version, string Architecture, string? InstalledSize);
