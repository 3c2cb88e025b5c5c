using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ezio.Imaging;

// image.json, one per Ezio image directory (camelCase JSON, source-generated):
//
//   { "formatVersion": 1, "name": "lab-2026", "source": "/home/partimag/lab", "created": "…",
//     "diskSize": 2147483648, "logicalSectorSize": 512,
//     "partitionTable": { "label": "gpt", "sfdisk": "label: gpt\n…",
//        "partitions": [ { "number": 1, "device": "sda1", "start": 2048, "size": 204800,
//                          "type": "0FC63DAF-…", "fileSystem": "ext4", "content": "partclone",
//                          "blockSize": 4096, "usedBytes": 19992576 },
//                        { "number": 3, "device": "sda3", …, "fileSystem": "LVM2_member", "content": "lvm",
//                          "logicalVolumes": [ { "name": "vgtest/root", "fileSystem": "ext4",
//                             "content": "partclone", "size": 25165824, "usedBytes": 3043328 } ] },
//                        { "number": 4, "device": "sda4", …, "content": "none",
//                          "leftEmpty": "sda4.ntfs-img.aa: an ntfsclone image; …" } ] },
//     "notImported": [ "sda4.ntfs-img.aa: an ntfsclone image; …" ],      (import --allow-partial)
//     "bootArea": [ { "offset": 0, "length": 446, "what": "mbr boot code" }, … ],
//     "torrent": "lab-2026.torrent", "infoHash": "…", "pieceLength": 1048576,
//     "pieceCount": 20, "totalLength": 20480000, "storeBytes": 7340032,
//     "minimumDiskSize": 316669952 }
//
// start and size are in logical sectors, as in the sfdisk dump. Each partition also says whether
// a disk of another size may resize it ("resizable": ext2/3/4, NTFS, xfs and btrfs, unless its
// GPT type is one that keeps its size: ESP, MSR, recovery, BIOS boot) and the smallest partition
// that holds its content ("minimumBytes": the file system's size, after "compacted" shrinking for
// ext2/3/4 and NTFS; the partition's size when not resizable). minimumDiskSize is the smallest disk
// the partitions fit on with every resizable one at its minimum (Ezio.Storage.PartitionLayout);
// 0 when the image cannot be laid out anew (several disks, DOS logical partitions).
//
// An image of several disks (a Clonezilla `savedisk` of "sda sdb") adds "disks", one entry per
// disk in saving order, each with its own size, sector size, partition table and boot area:
//
//     "disks": [ { "name": "sda", "base": 0, "diskSize": …, "logicalSectorSize": 512,
//                  "partitionTable": { … }, "bootArea": [ … ] },
//                { "name": "sdb", "base": 72057594037927936, … } ]
//
// The one torrent covers every disk in one address space where disk k starts at base k × 2^56
// (64 PiB, far beyond any disk): its files are named by hex offset in that space, so byte b of
// disk k is torrent file name 0x…(k × 2^56 + b). The top-level disk fields then repeat the first
// disk's. Single-disk images have no "disks" and base 0: their torrents are unchanged.

/// <summary>The manifest of an Ezio image (image.json).</summary>
public sealed class ImageManifest
{
    public const int CurrentFormatVersion = 1;

    public int FormatVersion { get; set; } = CurrentFormatVersion;
    public string Name { get; set; } = "";
    public string Source { get; set; } = "";
    public DateTimeOffset Created { get; set; }
    public long DiskSize { get; set; }
    public int LogicalSectorSize { get; set; } = 512;
    public PartitionTableInfo PartitionTable { get; set; } = new();
    public List<BootExtent> BootArea { get; set; } = [];

    /// <summary>Files of the source Ezio could not restore ("file: reason"), from an import with --allow-partial.</summary>
    public List<string>? NotImported { get; set; }
    public string Torrent { get; set; } = "";
    public string InfoHash { get; set; } = "";
    public int PieceLength { get; set; }
    public int PieceCount { get; set; }
    public long TotalLength { get; set; }
    public long StoreBytes { get; set; }

    /// <summary>Every disk of a multi-disk image, in saving order; null for a single-disk image.</summary>
    public List<ImageDisk>? Disks { get; set; }

    /// <summary>The smallest disk the image can be laid out on (resizable partitions at their minimums); 0 when it cannot be laid out anew.</summary>
    public long MinimumDiskSize { get; set; }

    /// <summary>
    /// Web seeds (BEP 19) of the image, "webSeeds": [ "http://…/payload.bin" ]: HTTP servers
    /// holding its payload (docs/web-seeds.md). ezio-server adds them to the torrent's url-list.
    /// </summary>
    public List<string>? WebSeeds { get; set; }

    public static ImageManifest Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), ImageJsonContext.Default.ImageManifest)
                ?? throw new ImageException(ImageError.Malformed, $"{path} is empty.");
        }
        catch (JsonException e)
        {
            throw new ImageException(ImageError.Malformed, $"{path} is not a valid image manifest: {e.Message}", e);
        }
    }

    public void Save(string path) =>
        File.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(this, ImageJsonContext.Default.ImageManifest));
}

/// <summary>One disk of a multi-disk image; offsets inside it are relative to the disk's start.</summary>
public sealed class ImageDisk
{
    /// <summary>The disk's name where the image was made (sda, nvme0n1).</summary>
    public string Name { get; set; } = "";
    /// <summary>Where the disk starts in the torrent's address space (index × 2^56).</summary>
    public long Base { get; set; }
    public long DiskSize { get; set; }
    public int LogicalSectorSize { get; set; } = 512;
    public PartitionTableInfo PartitionTable { get; set; } = new();
    public List<BootExtent> BootArea { get; set; } = [];
    /// <summary>Bytes of used data on this disk (what the torrent holds for it).</summary>
    public long UsedBytes { get; set; }
}

public sealed class PartitionTableInfo
{
    /// <summary>"gpt" or "dos".</summary>
    public string Label { get; set; } = "";
    /// <summary>The `sfdisk -d` dump, to apply with `sfdisk` before the swarm.</summary>
    public string Sfdisk { get; set; } = "";
    public List<PartitionInfo> Partitions { get; set; } = [];
}

public sealed class PartitionInfo
{
    public int Number { get; set; }
    public string Device { get; set; } = "";
    public long Start { get; set; }
    public long Size { get; set; }
    public string Type { get; set; } = "";
    public string? FileSystem { get; set; }
    /// <summary>
    /// "partclone", "raw" (every byte), "swap" (its signature page, as mkswap writes it), "lvm"
    /// (PV label and metadata plus its LVs' used blocks) or "none".
    /// </summary>
    public string Content { get; set; } = "";
    public int BlockSize { get; set; }
    public long UsedBytes { get; set; }

    /// <summary>Why the partition is left empty although the source had data for it (an import with --allow-partial).</summary>
    public string? LeftEmpty { get; set; }

    /// <summary>A disk of another size may give this partition another size (its file system is grown after writing).</summary>
    public bool Resizable { get; set; }

    /// <summary>The smallest partition that holds the content: the file system's size when resizable, else the partition's.</summary>
    public long MinimumBytes { get; set; }

    /// <summary>True when the file system was shrunk to its minimum on a temporary copy during import or capture.</summary>
    public bool? Compacted { get; set; }

    /// <summary>For an LVM PV: the logical volumes with data on it.</summary>
    public List<LogicalVolumeInfo>? LogicalVolumes { get; set; }
}

public sealed class LogicalVolumeInfo
{
    /// <summary>VG/LV, e.g. "vgtest/root".</summary>
    public string Name { get; set; } = "";
    public string? FileSystem { get; set; }
    /// <summary>"partclone", "raw", "swap" or "none".</summary>
    public string Content { get; set; } = "";
    /// <summary>The LV's size in bytes.</summary>
    public long Size { get; set; }
    /// <summary>Used bytes of the LV on this partition.</summary>
    public long UsedBytes { get; set; }
    public string? LeftEmpty { get; set; }
}

public sealed class BootExtent
{
    public long Offset { get; set; }
    public long Length { get; set; }
    public string What { get; set; } = "";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ImageManifest))]
internal sealed partial class ImageJsonContext : JsonSerializerContext
{
}
