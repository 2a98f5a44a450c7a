using Kpk.Core;
using Kpk.Elf;

namespace Kpk.Runtime;

/// <summary>What a live patch module (.ko) says about itself, read without loading it.</summary>
public sealed record LivePatchModule
{
    public required string Path { get; init; }
    public required string Name { get; init; }
    public required string? Vermagic { get; init; }
    public required string? KernelRelease { get; init; }
    public required string? Description { get; init; }
    public required bool IsLivepatch { get; init; }
    public required bool? Replace { get; init; }
    public required IReadOnlyList<PatchedObject> Objects { get; init; }
    /// <summary>False when the module is for a machine whose klp structures kpk cannot read (not x86-64, ppc64le or aarch64).</summary>
    public bool StructuresReadable { get; init; } = true;

    public static LivePatchModule Read(string path)
    {
        if (!File.Exists(path)) throw new KpkException($"{path}: no such file");
        using var elf = ElfObject.Read(path);
        var info = ModInfo.Read(elf, path);
        string name = info.Name ?? throw new KpkException($"{path}: .modinfo has no name=; not a module built by kbuild");
        if (!ModuleName.IsValid(name)) throw new KpkException($"{path}: .modinfo name \"{name}\" is not a module name");
        var klp = KlpStructures.Read(elf);
        return new LivePatchModule
        {
            Path = path,
            Name = name,
            Vermagic = info.Vermagic,
            KernelRelease = info.KernelRelease,
            Description = info.Description,
            IsLivepatch = info.IsLivepatch,
            Replace = klp.Replace,
            Objects = klp.Objects,
            StructuresReadable = KlpStructures.Supports(elf),
        };
    }

    /// <summary>Refuses a module that is not a live patch: kpk only manages those.</summary>
    public LivePatchModule RequireLivepatch()
    {
        if (!IsLivepatch)
            throw new KpkException($"{Path}: module {Name} is not a live patch (.modinfo has no livepatch=Y)");
        if (KernelRelease == null)
            throw new KpkException($"{Path}: .modinfo has no vermagic; cannot tell which kernel it was built for");
        return this;
    }
}
