namespace Kpk.Series.Apply;

/// <summary>What <c>kpk series apply</c> was asked to do.</summary>
public sealed record SeriesApplyOptions
{
    /// <summary>The vanilla tree: a directory, or a .tar/.tar.gz/.tar.xz/.tar.bz2 tarball.</summary>
    public required string Vanilla { get; init; }

    /// <summary>The guarded series file; patch names in it are relative to its directory.</summary>
    public required string Series { get; init; }

    /// <summary>Symbols for the guards (<c>--symbol</c>).</summary>
    public IReadOnlyList<string> Symbols { get; init; } = [];

    /// <summary>Where the unpacked tarball, the patched tree and the log go (sequence-patch's SCRATCH_AREA).</summary>
    public string ScratchDirectory { get; init; } = "tmp";

    /// <summary>patch's fuzz factor; 0 by default, as sequence-patch uses.</summary>
    public int Fuzz { get; init; }

    /// <summary>Apply everything in one patch run, without backups (no rollback possible).</summary>
    public bool Fast { get; init; }

    /// <summary>Stop after this patch (its name, or its name's last part(s) after a slash).</summary>
    public string? UpTo { get; init; }
}

/// <summary>What a successful run left behind.</summary>
public sealed record SeriesApplyResult(
    string Tree,
    string Log,
    int Selected,
    int Applied,
    string? LastApplied,
    IReadOnlyList<string> Remaining);
