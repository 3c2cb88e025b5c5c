using System.Diagnostics.CodeAnalysis;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.Storage;

namespace Ezio.Server.Images;

/// <summary>An image the server can deploy: its torrent and a way to open its data for seeding.</summary>
/// <param name="PartitionTable">The sfdisk dump from image.json (null for plain <c>data</c> images).</param>
/// <param name="DiskSizeBytes">Size of the captured disk: the smallest disk the image fits on.</param>
/// <param name="PieceStore">True when seeded from pieces.ezp (stored frames go out as they are).</param>
internal sealed record ImageEntry(string Name, Torrent Torrent, byte[] TorrentBytes, Func<ITorrentStorage> OpenStorage,
    string? PartitionTable = null, long DiskSizeBytes = 0, bool PieceStore = false)
{
    /// <summary>What the job calls imageSizeBytes: the disk size when known, else the torrent's length.</summary>
    public long SizeBytes => DiskSizeBytes > 0 ? Math.Max(DiskSizeBytes, Torrent.TotalLength) : Torrent.TotalLength;

    /// <summary>The disks of a multi-disk image (image.json "disks"), else null.</summary>
    public IReadOnlyList<Ezio.Deployment.Contracts.JobDisk>? Disks { get; init; }

    /// <summary>An image that can be laid out on disks of other sizes (image.json "minimumDiskSize"), else null; its policy is none.</summary>
    public Ezio.Deployment.Contracts.DiskResize? Resize { get; init; }

    /// <summary>True when a file system was compacted at import: the machines must grow it.</summary>
    public bool Compacted { get; init; }
}

/// <summary>
/// The image repository. The only place that knows how an image is stored on the server, so
/// switching to Ezio.Imaging's pieces.ezp storage is a change to one implementation.
/// </summary>
internal interface IImageCatalog
{
    bool TryGet(string name, [NotNullWhen(true)] out ImageEntry? image);

    IReadOnlyList<string> List();
}
