using Ezio.Imaging.Build;
using Ezio.Imaging.Partclone;

namespace Ezio.Imaging.Clonezilla;

/// <summary>
/// Lays a volume group out on the disk as bytes of the image, so no device-mapper is needed at
/// deployment and verify covers it: each PV partition starts with the label and metadata
/// `pvcreate --restorefile` + `vgcfgrestore` would write, and each linear segment of each LV
/// carries the LV image's used blocks at its PV extents.
/// </summary>
internal static class LvmPlacement
{
    public static void Add(ClonezillaImage image, ClonezillaVolumeGroup vg, SfdiskDump table, ImageManifest manifest, List<DiskSegment> segments)
    {
        LvmVolumeGroup group = vg.Group;
        var pvs = new Dictionary<string, (long Start, LvmPhysicalVolume Pv, PartitionInfo Info)>(StringComparer.Ordinal);
        foreach (LvmPhysicalVolume pv in group.PhysicalVolumes)
        {
            SfdiskPartition partition = table.Partitions.FirstOrDefault(p => ClonezillaImporter.DeviceName(p) == pv.Device)
                ?? throw new ImageException(ImageError.NotSupported,
                    $"Physical volume {pv.Device} of volume group {group.Name} is not a partition of {image.Disk}; only the first disk of an image is read.");
            PartitionInfo info = manifest.PartitionTable.Partitions.First(i => i.Device == pv.Device);
            long start = partition.Start * table.SectorSize;
            long size = partition.Size * table.SectorSize;
            if ((pv.PeStart + pv.PeCount * group.ExtentSize) * LvmVolumeGroup.Sector > size)
            {
                throw new ImageException(ImageError.Malformed,
                    $"{Path.GetFileName(vg.ConfPath)}: physical volume {pv.Device} needs more than its {size}-byte partition.");
            }
            byte[] head = LvmLabel.Build(group, pv, size);
            segments.Add(new DiskSegment(start, RawBlockSource.FromBytes(head), $"{pv.Device} LVM label"));
            info.Content = "lvm";
            info.FileSystem = "LVM2_member";
            info.UsedBytes += head.Length;
            info.LogicalVolumes ??= [];
            pvs[pv.Key] = (start, pv, info);
        }
        foreach (LvmLogicalVolume lv in group.LogicalVolumes.Where(l => l.Visible))
        {
            string dev = $"{group.Name}-{lv.Name}";
            vg.Volumes.TryGetValue(dev, out ClonezillaPartition? source);
            long size = lv.ExtentCount * group.ExtentBytes;
            var entries = new Dictionary<string, LogicalVolumeInfo>(StringComparer.Ordinal);
            foreach (LvmSegment segment in lv.Segments)
            {
                if (!entries.ContainsKey(segment.PhysicalVolume))
                {
                    var entry = new LogicalVolumeInfo
                    {
                        Name = $"{group.Name}/{lv.Name}",
                        FileSystem = source?.FileSystem,
                        Content = source?.Content.ToString().ToLowerInvariant() ?? "none",
                        Size = size,
                        LeftEmpty = image.LeftEmpty(dev),
                    };
                    entries[segment.PhysicalVolume] = entry;
                    pvs[segment.PhysicalVolume].Info.LogicalVolumes!.Add(entry);
                }
            }
            if (source is null)
            {
                continue;
            }
            foreach (LvmSegment segment in lv.Segments)
            {
                (long pvStart, LvmPhysicalVolume pv, PartitionInfo info) = pvs[segment.PhysicalVolume];
                long diskOffset = pvStart + (pv.PeStart + segment.PvExtent * group.ExtentSize) * LvmVolumeGroup.Sector;
                IUsedBlockSource? blocks = source.Content switch
                {
                    // mkswap writes one page at the start of the LV, which is in its first segment.
                    PartitionContent.Swap when segment.StartExtent == 0 => RawBlockSource.FromBytes(source.Swap!.Build(size)),
                    PartitionContent.Partclone => new LvSegmentSource(ClonezillaImporter.OpenPartclone(source, size),
                        segment.StartExtent * group.ExtentBytes, segment.ExtentCount * group.ExtentBytes),
                    PartitionContent.Raw => new LvSegmentSource(new RawBlockSource(source.OpenStream(), size),
                        segment.StartExtent * group.ExtentBytes, segment.ExtentCount * group.ExtentBytes),
                    _ => null,
                };
                if (blocks is null)
                {
                    continue;
                }
                segments.Add(new DiskSegment(diskOffset, blocks, $"{group.Name}/{lv.Name}"));
                long used = blocks.Map.UsedBlocks * blocks.BlockSize;
                entries[segment.PhysicalVolume].UsedBytes += used;
                info.UsedBytes += used;
            }
        }
    }
}
