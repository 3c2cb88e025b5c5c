using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.Storage;

namespace Ezio.Storage;

/// <summary>How a torrent's files are placed on the target (`--layout auto|offsets|files`).</summary>
public enum StorageLayout
{
    /// <summary>
    /// Offsets when every file is named by its target offset; otherwise a single-file torrent
    /// onto a block device is a disk image written from byte 0; otherwise files.
    /// </summary>
    Auto,

    /// <summary>File names are 32-hex-digit target offsets (Clonezilla FSBT, Ezio disk torrents).</summary>
    Offsets,

    /// <summary>Ordinary BitTorrent files in a directory (or one file for a single-file torrent).</summary>
    Files,
}

/// <summary>The entry point the CLI uses to open a deployment target for a torrent.</summary>
public static class TargetStorage
{
    /// <summary>Opens <paramref name="targetPath"/> for <paramref name="torrent"/>.</summary>
    public static ITorrentStorage Open(string targetPath, Torrent torrent, StorageLayout layout, RawTargetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        return Open(targetPath, torrent.Files, torrent.TotalLength, torrent.IsMultiFile, layout, options);
    }

    /// <summary>
    /// Opens <paramref name="targetPath"/> for a torrent given by its files. Every safety check
    /// runs here, before anything is written; refusals throw <see cref="TargetRefusedException"/>.
    /// </summary>
    public static ITorrentStorage Open(string targetPath, IReadOnlyList<TorrentFile> files, long totalLength, bool isMultiFile,
        StorageLayout layout, RawTargetOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetPath);
        ArgumentNullException.ThrowIfNull(files);
        bool readOnly = options?.ReadOnly ?? false;
        if (!readOnly && !(options?.AllowFileUnderDev ?? false))
        {
            RefuseFileUnderDev(targetPath);
        }

        bool isBlockDevice = Interop.Paths.IsBlockDevice(targetPath);
        switch (layout)
        {
            case StorageLayout.Offsets:
                RefuseMultiDisk(files, targetPath);
                return RawTargetStorage.Open(targetPath, CheckedLength(OffsetLayout.Create(files), totalLength), options);

            case StorageLayout.Files:
                if (isBlockDevice)
                {
                    throw new TargetRefusedException(TargetRefusalReason.UnsupportedTargetType,
                        $"Layout 'files' needs a directory or file path, but '{targetPath}' is a block device.");
                }

                return FileStorage.Open(targetPath, files, totalLength, isMultiFile, readOnly);

            case StorageLayout.Auto:
                RefuseMultiDisk(files, targetPath);
                if (OffsetLayout.TryCreate(files, out ExtentMap? map))
                {
                    return RawTargetStorage.Open(targetPath, CheckedLength(map, totalLength), options);
                }

                if (isBlockDevice)
                {
                    if (isMultiFile)
                    {
                        throw new TargetRefusedException(TargetRefusalReason.InvalidLayout,
                            $"'{targetPath}' is a block device, but the torrent's files are not named by disk offsets " +
                            "and it is not a single disk image.");
                    }

                    return RawTargetStorage.Open(targetPath, ExtentMap.Linear(totalLength, 0, files[0].Path), options);
                }

                return FileStorage.Open(targetPath, files, totalLength, isMultiFile, readOnly);

            default:
                throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown layout.");
        }
    }

    /// <summary>
    /// Opens <paramref name="targetPath"/> for an offset-layout torrent made on another disk,
    /// whose partitions lie at <paramref name="placed"/> on this one
    /// (<see cref="PartitionLayout.Relocate"/>): the same safety checks as <see cref="Open(string, Torrent, StorageLayout, RawTargetOptions?)"/>,
    /// and every read and write (download, recheck, resume, verify) goes through the one mapping.
    /// </summary>
    public static RawTargetStorage OpenRelocated(string targetPath, Torrent torrent, IReadOnlyList<PlacedPartition> placed, int sectorSize,
        RawTargetOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetPath);
        ArgumentNullException.ThrowIfNull(torrent);
        if (!(options?.ReadOnly ?? false) && !(options?.AllowFileUnderDev ?? false))
        {
            RefuseFileUnderDev(targetPath);
        }
        RefuseMultiDisk(torrent.Files, targetPath);
        ExtentMap map = CheckedLength(OffsetLayout.Create(torrent.Files), torrent.TotalLength);
        return RawTargetStorage.Open(targetPath, PartitionLayout.Relocate(map, placed, sectorSize), options);
    }

    /// <summary>A torrent of several disks needs one target per disk (<see cref="MultiDiskStorage"/>), never one.</summary>
    private static void RefuseMultiDisk(IReadOnlyList<TorrentFile> files, string targetPath)
    {
        int disks = MultiDiskLayout.DiskCount(files);
        if (disks > 1)
        {
            throw new TargetRefusedException(TargetRefusalReason.DiskCount,
                $"The image holds {disks} disks but one target was given ('{targetPath}'): one target per image disk, in the image's disk order.");
        }
    }

    /// <summary>
    /// A write target under /dev must be an existing block device: a missing node (a partition
    /// the kernel has not made yet, a typo) or a regular file there is refused, so that bytes
    /// meant for a disk never land in a file on the live system's tmpfs.
    /// </summary>
    internal static void RefuseFileUnderDev(string targetPath)
    {
        string full = Path.GetFullPath(targetPath);
        if (!full.StartsWith("/dev/", StringComparison.Ordinal))
        {
            return;
        }

        // Character devices, directories and the like are refused later with their own words.
        bool regular = Interop.Paths.IsRegularFile(full);
        if (!regular && Interop.Paths.Exists(full))
        {
            return;
        }

        string what = regular ? "is a regular file, not a block device" : "does not exist";
        throw new TargetRefusedException(TargetRefusalReason.NotADevice,
            $"'{targetPath}' {what}; a target under /dev must be an existing block device (check the name, or run partx/partprobe first).");
    }

    private static ExtentMap CheckedLength(ExtentMap map, long totalLength)
    {
        if (map.TorrentLength != totalLength)
        {
            throw new TargetRefusedException(TargetRefusalReason.InvalidLayout,
                $"The files add up to {map.TorrentLength} bytes, but the torrent length is {totalLength}.");
        }

        return map;
    }
}
