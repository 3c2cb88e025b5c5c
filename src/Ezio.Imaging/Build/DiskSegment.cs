using Ezio.Imaging.Partclone;

namespace Ezio.Imaging.Build;

/// <summary>Used blocks that land at <paramref name="DiskOffset"/> + block * block size on the disk.</summary>
public sealed record DiskSegment(long DiskOffset, IUsedBlockSource Source, string What)
{
    public long Extent => Source.Map.TotalBlocks * Source.BlockSize;

    public long UsedBytes => Source.Map.UsedBlocks * Source.BlockSize;

    /// <summary>Also sees the segment's used bytes during the build (e.g. a Clonezilla btzone writer); owned by the caller.</summary>
    public IUsedDataObserver? Observer { get; init; }
}

/// <summary>Progress of an import or capture: bytes of used data streamed so far, of the total.</summary>
public readonly record struct BuildProgress(long Done, long Total, string What);

/// <summary>Options for <see cref="ImageBuilder"/>.</summary>
public sealed record ImageBuildOptions
{
    /// <summary>Piece length (power of two, ≥ 16 KiB); 0 picks one with <see cref="EzioImage.ChoosePieceLength"/>.</summary>
    public int PieceLength { get; init; }
    public int CompressionLevel { get; init; } = DefaultCompressionLevel;

    /// <summary>
    /// zstd level of stored pieces. An image is compressed once and its pieces travel to every
    /// machine of every deployment, while decompression runs as fast at 9 as at 3: level 9
    /// makes an OS image's pieces ~6 % smaller than level 3 at about twice the capture CPU.
    /// </summary>
    public const int DefaultCompressionLevel = 9;
    public IReadOnlyList<string> Announce { get; init; } = [];
    public DateTimeOffset? Created { get; init; }
    public IProgress<BuildProgress>? Progress { get; init; }

    /// <summary>
    /// Import only: Clonezilla's btzone root (e.g. /home/partimag/btzone). When set, the import
    /// also writes &lt;root&gt;/&lt;IMAGE&gt;/ with per-partition slices, torrent.info and torrents,
    /// as `ocs-gen-bt-slices` would (see Clonezilla/BtzoneWriter.cs).
    /// </summary>
    public string? BtzoneDirectory { get; init; }

    /// <summary>Import only: the one disk to import from a Clonezilla image of several (e.g. sdb).</summary>
    public string? Disk { get; init; }

    /// <summary>
    /// Import only: import what can be restored when the Clonezilla image also holds what cannot
    /// (ntfsclone, LUKS, a thin pool, a missing volume…); image.json names what is left empty.
    /// </summary>
    public bool AllowPartial { get; init; }

    /// <summary>
    /// Shrinks ext2/3/4 and NTFS file systems to their minimum on a temporary copy first
    /// (<see cref="FileSystemCompactor"/>), so the image deploys to disks smaller than the source.
    /// </summary>
    public bool Compact { get; init; }

    /// <summary>Where compaction keeps its temporary copies (default: the output directory).</summary>
    public string? TemporaryDirectory { get; init; }
}
