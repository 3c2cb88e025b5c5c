using System.Text.Json.Serialization;

namespace Ezio.Deployment.Contracts;

/// <summary>
/// One disk of a multi-disk image, as the job carries it: the agent maps it to one of the
/// machine's disks (<see cref="DiskMapping"/>), applies its partition table there, and writes
/// its range of the torrent (offsets from <c>index × 2^56</c>) onto it.
/// </summary>
/// <param name="Name">The disk's name where the image was made (sda).</param>
/// <param name="SizeBytes">The smallest disk it fits on.</param>
/// <param name="PartitionTable">Its sfdisk dump, or null.</param>
/// <param name="Serial">The serial of the machine disk that takes it, for <see cref="DiskMapping.Serial"/>.</param>
public sealed record JobDisk(string Name, long SizeBytes, int LogicalSectorSize, string? PartitionTable, string? Serial = null);

/// <summary>How the agent maps the image's disks to the machine's.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DiskMapping>))]
public enum DiskMapping
{
    /// <summary>Image disk k onto the machine's k-th usable disk in kernel order (sda, sdb, …; nvme0n1, nvme1n1, …).</summary>
    [JsonStringEnumMemberName("order")]
    Order,

    /// <summary>Largest image disk first, each onto the smallest usable disk it fits on.</summary>
    [JsonStringEnumMemberName("size")]
    Size,

    /// <summary>Each image disk onto the disk with its <see cref="JobDisk.Serial"/>.</summary>
    [JsonStringEnumMemberName("serial")]
    Serial,
}
