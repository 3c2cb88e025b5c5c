using System.Text.Json.Serialization;

namespace Ezio.Deployment.Contracts;

/// <summary>How an agent lays out a disk of another size than the image's (deployment request "resize").</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ResizePolicy>))]
public enum ResizePolicy
{
    /// <summary>The image's layout, byte for byte: the disk must be at least the source's size.</summary>
    [JsonStringEnumMemberName("none")]
    None,

    /// <summary>Resizable partitions scale by the same factor (each at least its minimum).</summary>
    [JsonStringEnumMemberName("proportional")]
    Proportional,

    /// <summary>Resizable partitions keep their size; the last one takes what is left.</summary>
    [JsonStringEnumMemberName("last-fills")]
    LastFills,
}

/// <summary>
/// What an agent needs to lay out its own disk for the image: the image's partitions (sectors
/// of its table) with which keep their size and how small each may be. The torrent's files keep
/// naming offsets on the image's disk; the agent moves each partition's bytes to where the
/// partition lies on its disk, so every machine shares every piece of one swarm.
/// </summary>
/// <param name="SourceDiskSize">The image's disk, in bytes.</param>
/// <param name="MinimumDiskSize">The smallest disk the layout fits on, in bytes.</param>
public sealed record DiskResize(ResizePolicy Policy, long SourceDiskSize, long MinimumDiskSize, IReadOnlyList<ResizePartition> Partitions);

/// <summary>One partition of the image for <see cref="DiskResize"/>.</summary>
/// <param name="Start">First sector on the image's disk.</param>
/// <param name="Size">Sectors on the image's disk.</param>
/// <param name="Fixed">Keeps its size (ESP, MSR, recovery, or content that cannot be resized).</param>
/// <param name="MinimumBytes">The smallest partition that holds its content.</param>
/// <param name="FileSystem">The file system the agent grows to the partition after writing (resizable partitions).</param>
public sealed record ResizePartition(int Number, long Start, long Size, bool Fixed, long MinimumBytes, string? FileSystem);
