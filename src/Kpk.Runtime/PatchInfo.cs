namespace Kpk.Runtime;

/// <summary>What <c>kpk info</c> reports about a module or tarball, without loading it.</summary>
public sealed record PatchInfo
{
    public required string File { get; init; }
    public required string Name { get; init; }
    public string? Id { get; init; }
    public string? Description { get; init; }
    public required bool Livepatch { get; init; }
    public string? KernelRelease { get; init; }
    public string? Vermagic { get; init; }
    public string? VmlinuxBuildId { get; init; }
    public bool? Replace { get; init; }
    /// <summary>"manifest" when the objects come from a tarball's manifest, "module" when read from the module's klp structures.</summary>
    public required string ObjectsFrom { get; init; }
    public required IReadOnlyList<PatchedObject> Objects { get; init; }
    public IReadOnlyList<string> Patches { get; init; } = [];
    /// <summary>False when the module is for a machine whose klp structures kpk cannot read.</summary>
    public bool StructuresReadable { get; init; } = true;
    public string? Compiler { get; init; }
    public DateTimeOffset? Created { get; init; }

    public static PatchInfo Read(string file)
    {
        using var package = PatchPackage.Open(file);
        var m = package.Manifest;
        return new PatchInfo
        {
            File = file,
            Name = package.Name,
            Id = package.Id,
            Description = package.Description,
            Livepatch = package.Module.IsLivepatch,
            KernelRelease = package.KernelRelease,
            Vermagic = package.Module.Vermagic,
            VmlinuxBuildId = m?.VmlinuxBuildId,
            Replace = package.Replace,
            ObjectsFrom = m != null ? "manifest" : "module",
            Objects = package.Objects,
            StructuresReadable = package.Module.StructuresReadable,
            Patches = package.Patches.Select(Path.GetFileName).OfType<string>().ToList(),
            Compiler = m?.Compiler,
            Created = m?.Created,
        };
    }

    public void WriteText(TextWriter output)
    {
        output.WriteLine($"name:           {Name}");
        if (Id != null) output.WriteLine($"id:             {Id}");
        if (!string.IsNullOrEmpty(Description)) output.WriteLine($"description:    {Description}");
        output.WriteLine($"live patch:     {(Livepatch ? "yes" : "no (no livepatch=Y in .modinfo)")}");
        output.WriteLine($"kernel release: {KernelRelease ?? "unknown"}");
        if (Vermagic != null) output.WriteLine($"vermagic:       {Vermagic}");
        if (VmlinuxBuildId != null) output.WriteLine($"build id:       {VmlinuxBuildId}");
        output.WriteLine($"replace:        {(Replace is bool r ? (r ? "yes (cumulative: replaces all loaded patches)" : "no") : "unknown")}");
        if (Compiler != null) output.WriteLine($"compiler:       {Compiler}");
        if (Created != null) output.WriteLine($"created:        {Created:u}");
        foreach (string p in Patches) output.WriteLine($"patch:          {p}");
        if (Objects.Count == 0)
            output.WriteLine(ObjectsFrom == "module" && !StructuresReadable
                ? "functions:      not read (klp structures are read from x86-64, ppc64le and aarch64 modules only)"
                : "functions:      none found in the module's klp structures");
        foreach (var obj in Objects)
        {
            output.WriteLine($"object {obj.Name}:{(obj.Functions.Count == 0 ? " no functions (callbacks only)" : "")}");
            foreach (var f in obj.Functions)
                output.WriteLine($"  {f.Name}{(f.Sympos != 0 ? $",{f.Sympos}" : "")}{(f.Replacement != null ? $" -> {f.Replacement}" : "")}");
        }
    }
}
