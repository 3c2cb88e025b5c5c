using Ezio.Imaging.Build;
using Ezio.Imaging.Clonezilla;
using Ezio.Imaging.Partclone;

namespace Ezio.Imaging.Capture;

/// <summary>
/// Captures a disk (block device or disk-image file) into an Ezio image: the partition table
/// from `sfdisk -d`, the MBR boot code and the hidden data before the first partition, and each
/// partition's used blocks from `partclone.&lt;fs&gt; -c -o -` (all blocks when the file system is
/// unknown to partclone). The file-system knowledge stays in partclone.
/// </summary>
/// <remarks>
/// Each partition is reached through its own read-only loop device over the partition's byte
/// range (`losetup -r -o OFFSET --sizelimit SIZE`), which works the same for a file, a loop device
/// or a disk, and needs no udev-created partition nodes. They are detached when capture ends.
/// </remarks>
public static class DiskCapture
{
    // blkid TYPE → partclone module.
    private static readonly Dictionary<string, string> s_partcloneModules = new(StringComparer.Ordinal)
    {
        ["ext2"] = "ext2", ["ext3"] = "ext3", ["ext4"] = "ext4", ["vfat"] = "vfat", ["ntfs"] = "ntfs",
        ["xfs"] = "xfs", ["btrfs"] = "btrfs", ["exfat"] = "exfat", ["hfsplus"] = "hfsp", ["f2fs"] = "f2fs",
    };

    public static ImageManifest Capture(string device, string outputDirectory, ImageBuildOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!File.Exists(device))
        {
            throw new ImageException(ImageError.Malformed, $"No such disk or disk file: {device}.");
        }
        string dumpText = SystemTools.RunChecked("sfdisk", "-d", device);
        var table = SfdiskDump.Parse(dumpText);
        long diskSize = DiskSize(device);
        var manifest = new ImageManifest
        {
            Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(outputDirectory))),
            Source = Path.GetFullPath(device),
            Created = options.Created ?? DateTimeOffset.UtcNow,
            DiskSize = diskSize,
            LogicalSectorSize = table.SectorSize,
            PartitionTable = new PartitionTableInfo { Label = table.Label, Sfdisk = dumpText },
        };
        var segments = new List<DiskSegment>();
        var loops = new List<string>();
        try
        {
            AddBootArea(device, table, manifest, segments);
            foreach (SfdiskPartition p in table.Partitions)
            {
                cancellationToken.ThrowIfCancellationRequested();
                long offset = p.Start * table.SectorSize;
                long size = p.Size * table.SectorSize;
                var info = new PartitionInfo
                {
                    Number = p.Number,
                    Device = Path.GetFileName(p.Device),
                    Start = p.Start,
                    Size = p.Size,
                    Type = p.Type,
                    Content = "none",
                };
                manifest.PartitionTable.Partitions.Add(info);
                if (IsExtendedContainer(table, p))
                {
                    continue;
                }
                string loop = SystemTools.RunChecked("losetup", "-r", "-o", offset.ToString(), "--sizelimit", size.ToString(), "--show", "-f", device).Trim();
                loops.Add(loop);
                (int code, string type, _) = SystemTools.Run("blkid", "-p", "-o", "value", "-s", "TYPE", loop);
                string fs = code == 0 ? type.Trim() : "";
                info.FileSystem = fs.Length > 0 ? fs : null;
                IUsedBlockSource source;
                if (fs == "swap")
                {
                    // Only the signature page matters (UUID and label, which fstab names); the rest is scratch.
                    info.Content = "swap";
                    byte[] page = new byte[Clonezilla.SwapSignature.PageSize];
                    using (var swap = new FileStream(loop, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
                    {
                        swap.ReadExactly(page);
                    }
                    source = RawBlockSource.FromBytes(page);
                }
                else if (s_partcloneModules.TryGetValue(fs, out string? module))
                {
                    Stream stream = ToolPipeStream.Start([$"partclone.{module}"], ["-c", "-q", "-L", "/dev/null", "-s", loop, "-o", "-"], null, info.Device);
                    try
                    {
                        source = PartcloneReader.Open(stream);
                    }
                    catch
                    {
                        stream.Dispose();
                        throw;
                    }
                    info.Content = "partclone";
                    if (options.Compact && FileSystemCompactor.CanCompact(fs))
                    {
                        source = FileSystemCompactor.Compact(source, fs, info.Device, options.TemporaryDirectory ?? outputDirectory);
                        info.Compacted = true;
                    }
                }
                else
                {
                    source = new RawBlockSource(new FileStream(loop, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20), size);
                    info.Content = "raw";
                }
                segments.Add(new DiskSegment(offset, source, info.Device));
                info.BlockSize = source.BlockSize;
                info.UsedBytes = source.Map.UsedBlocks * source.BlockSize;
                info.MinimumBytes = source.Map.TotalBlocks * source.BlockSize;
            }
            ResizeFacts.Fill(manifest);
            return ImageBuilder.Build(outputDirectory, manifest, segments, options, cancellationToken);
        }
        finally
        {
            foreach (DiskSegment segment in segments)
            {
                segment.Source.Dispose();
            }
            foreach (string loop in loops)
            {
                SystemTools.Run("losetup", "-d", loop);
            }
        }
    }

    private static bool IsExtendedContainer(SfdiskDump table, SfdiskPartition p) =>
        table.Label == "dos" && p.Type is "5" or "f" or "85";

    private static long DiskSize(string device)
    {
        var file = new FileInfo(device);
        if (file.Length > 0 && (file.Attributes & FileAttributes.Device) == 0)
        {
            return file.Length;
        }
        return long.Parse(SystemTools.RunChecked("blockdev", "--getsize64", device).Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void AddBootArea(string device, SfdiskDump table, ImageManifest manifest, List<DiskSegment> segments)
    {
        long firstStart = table.Partitions.Count == 0 ? 0 : table.Partitions.Min(p => p.Start) * table.SectorSize;
        long gptEnd = table.Label == "gpt" ? (2 + 16384 / table.SectorSize) * table.SectorSize : table.SectorSize;
        using var disk = new FileStream(device, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        byte[] mbr = new byte[ClonezillaImporter.MbrBootCodeLength];
        disk.ReadExactly(mbr);
        segments.Add(new DiskSegment(0, RawBlockSource.FromBytes(mbr), "mbr boot code"));
        manifest.BootArea.Add(new BootExtent { Offset = 0, Length = mbr.Length, What = "mbr boot code" });
        if (firstStart > gptEnd)
        {
            byte[] hidden = new byte[firstStart - gptEnd];
            disk.Position = gptEnd;
            disk.ReadExactly(hidden);
            segments.Add(new DiskSegment(gptEnd, RawBlockSource.FromBytes(hidden), "hidden data after mbr"));
            manifest.BootArea.Add(new BootExtent { Offset = gptEnd, Length = hidden.Length, What = "hidden data after mbr" });
        }
    }
}
