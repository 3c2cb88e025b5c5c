using Ezio.Storage;

namespace Ezio.Imaging.Build;

/// <summary>
/// Decides, once a manifest's partitions are known, which of them a disk of another size may
/// resize and what the smallest disk is (image.json "resizable", "minimumBytes",
/// "minimumDiskSize"). A partition is resizable when the agent can grow its file system after
/// writing (ext2/3/4, NTFS, xfs, btrfs) and its GPT type is not one that keeps its size.
/// </summary>
public static class ResizeFacts
{
    // ESP, Microsoft reserved, Windows recovery, BIOS boot; DOS: EFI and hidden recovery.
    private static readonly HashSet<string> s_fixedTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "E3C9E316-0B5C-4DB8-817D-F92DF00215AE",
        "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC", "21686148-6449-6E6F-744E-656564454649", "ef", "27",
    };

    private const long NtfsGrowRoom = 1 << 20;

    private static readonly HashSet<string> s_growable = new(StringComparer.Ordinal) { "ext2", "ext3", "ext4", "ntfs", "xfs", "btrfs" };

    /// <summary>True for a GPT or DOS type whose partitions keep their size on every disk.</summary>
    public static bool IsFixedType(string type) => s_fixedTypes.Contains(type);

    /// <summary>True for the file systems the agent grows after writing.</summary>
    public static bool IsGrowable(string? fileSystem) => fileSystem is not null && s_growable.Contains(fileSystem);

    /// <summary>
    /// Fills each partition's <see cref="PartitionInfo.Resizable"/> and
    /// <see cref="PartitionInfo.MinimumBytes"/> (on entry: the file system's size for partclone
    /// content, else anything) and the manifest's <see cref="ImageManifest.MinimumDiskSize"/>.
    /// </summary>
    public static void Fill(ImageManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        PartitionTableInfo table = manifest.PartitionTable;
        int sectorSize = manifest.LogicalSectorSize;
        foreach (PartitionInfo p in table.Partitions)
        {
            long bytes = p.Size * sectorSize;
            p.Resizable = p.Content == "partclone" && p.LeftEmpty is null && IsGrowable(p.FileSystem) && !IsFixedType(p.Type)
                && p.MinimumBytes > 0 && p.MinimumBytes <= bytes;
            if (!p.Resizable)
            {
                p.MinimumBytes = bytes;
            }
            else if (p.FileSystem == "ntfs" && p.Compacted == true)
            {
                // NTFS keeps its backup boot sector just past the volume, where no block of the
                // image lies: a partition at least 1 MiB larger always makes ntfsresize grow the
                // volume on the machine, which writes that sector at the partition's end.
                p.MinimumBytes = Math.Min(bytes, p.MinimumBytes + NtfsGrowRoom);
            }
        }
        bool extended = table.Label == "dos" && table.Partitions.Any(p => p.Type is "5" or "f" or "85" || p.Number > 4);
        if (manifest.Disks is not null || extended || table.Label is not ("gpt" or "dos") || table.Partitions.Count == 0)
        {
            manifest.MinimumDiskSize = 0;
            return;
        }
        manifest.MinimumDiskSize = PartitionLayout.MinimumDiskSize(SourcePartitions(manifest), sectorSize, table.Label == "gpt");
    }

    /// <summary>The manifest's partitions as <see cref="PartitionLayout"/> takes them.</summary>
    public static IReadOnlyList<SourcePartition> SourcePartitions(ImageManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return manifest.PartitionTable.Partitions
            .Select(p => new SourcePartition(p.Number, p.Start, p.Size, !p.Resizable, p.MinimumBytes))
            .ToList();
    }
}
