using Kpk.Core;
using Kpk.Elf;
using Kpk.Series.Supported;

namespace Kpk.Runtime;

/// <summary>What a live patch module (.ko) says about itself, read without loading it.</summary>
public sealed record LivePatchModule
{
    /// <summary>Where the module file lies (what insmod is given).</summary>
    public required string Path { get; init; }
    /// <summary>What errors call it: the path, or for a module from a tarball "ARCHIVE:kpk-ID/NAME.ko".</summary>
    public required string Display { get; init; }
    public required string Name { get; init; }
    public required string? Vermagic { get; init; }
    public required string? KernelRelease { get; init; }
    public required string? Description { get; init; }
    public required bool IsLivepatch { get; init; }
    public required bool? Replace { get; init; }
    public required IReadOnlyList<PatchedObject> Objects { get; init; }
    /// <summary>Its <c>supported:</c> tag (SUSE kernels refuse unsupported modules at <c>unsupported=0</c>).</summary>
    public SupportLevel Support { get; init; } = SupportLevel.No;
    /// <summary>False when the module is for a machine whose klp structures kpk cannot read (not x86-64, ppc64le or aarch64).</summary>
    public bool StructuresReadable { get; init; } = true;

    public static LivePatchModule Read(string path)
    {
        if (!File.Exists(path)) throw new KpkException($"{path}: no such file");
        using var elf = ElfObject.Read(path);
        return From(elf, path, path);
    }

    /// <summary>A module already in memory (read safely out of a tarball); <paramref name="path"/> is where it lies for insmod, <paramref name="display"/> what errors call it.</summary>
    public static LivePatchModule Parse(byte[] bytes, string path, string display)
    {
        using var elf = ElfObject.Parse(bytes, display);
        return From(elf, path, display);
    }

    private static LivePatchModule From(ElfObject elf, string path, string display)
    {
        var info = ModInfo.Read(elf, display);
        string name = info.Name ?? throw new KpkException($"{display}: .modinfo has no name=; not a module built by kbuild");
        if (!ModuleName.IsValid(name)) throw new KpkException($"{display}: .modinfo name \"{name}\" is not a module name");
        var klp = KlpStructures.Read(elf);
        return new LivePatchModule
        {
            Path = path,
            Display = display,
            Name = name,
            Vermagic = info.Vermagic,
            KernelRelease = info.KernelRelease,
            Description = info.Description,
            IsLivepatch = info.IsLivepatch,
            Replace = klp.Replace,
            Objects = klp.Objects,
            StructuresReadable = KlpStructures.Supports(elf),
            Support = ModuleSupport.LevelOf(info),
        };
    }

    /// <summary>Refuses a module that is not a live patch: kpk only manages those.</summary>
    public LivePatchModule RequireLivepatch()
    {
        if (!IsLivepatch)
            throw new KpkException($"{Display}: module {Name} is not a live patch (.modinfo has no livepatch=Y)");
        if (KernelRelease == null)
            throw new KpkException($"{Display}: .modinfo has no vermagic; cannot tell which kernel it was built for");
        return this;
    }
}
