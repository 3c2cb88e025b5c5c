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
    /// <param name="btzone">When set, each LV's Clonezilla slices go to its &lt;VG&gt;-&lt;LV&gt;/ there, as for a partition.</param>
    public static void Add(ClonezillaImage image, ClonezillaVolumeGroup vg, SfdiskDump table, ImageManifest manifest, List<DiskSegment> segments,
        string? btzone = null, BtzoneTorrentOptions? btzoneOptions = null)
    {
        LvmVolumeGroup group = vg.Group;
        var pvs = new Dictionary<string, (long Start, LvmPhysicalVolume Pv, PartitionInfo Info)>(StringComparer.Ordinal);
        foreach (LvmPhysicalVolume pv in group.PhysicalVolumes)
        {
            // A PV on another disk of the image is laid out by that disk's pass, with the
            // segments of every LV that live on it.
            if (image.Disks.Any(d => d != image.Disk && ClonezillaDisks.IsPartitionOf(pv.Device, d)))
            {
                continue;
            }
            SfdiskPartition partition = table.Partitions.FirstOrDefault(p => ClonezillaImporter.DeviceName(p) == pv.Device)
                ?? throw new ImageException(ImageError.NotSupported,
                    $"Physical volume {pv.Device} of volume group {group.Name} is not a partition of {image.Disk}, nor of another disk of the image.");
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
            foreach (LvmSegment segment in lv.Segments.Where(s => pvs.ContainsKey(s.PhysicalVolume)))
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
            if (btzone is not null && lv.Segments.Any(s => !pvs.ContainsKey(s.PhysicalVolume)))
            {
                throw new ImageException(ImageError.NotSupported,
                    $"--btzone: logical volume {group.Name}/{lv.Name} spans disks of the image; its Clonezilla slices cannot be written from one disk.");
            }
            var placed = new List<(long DiskOffset, IUsedBlockSource Blocks, long LvStart)>();
            IUsedBlockSource? first = null;
            foreach (LvmSegment segment in lv.Segments.Where(s => pvs.ContainsKey(s.PhysicalVolume)))
            {
                (long pvStart, LvmPhysicalVolume pv, PartitionInfo info) = pvs[segment.PhysicalVolume];
                long diskOffset = pvStart + (pv.PeStart + segment.PvExtent * group.ExtentSize) * LvmVolumeGroup.Sector;
                long lvStart = segment.StartExtent * group.ExtentBytes;
                IUsedBlockSource? volume = source.Content switch
                {
                    PartitionContent.Partclone => ClonezillaImporter.OpenPartclone(source, size),
                    PartitionContent.Raw => new RawBlockSource(source.OpenStream(), size),
                    _ => null,
                };
                first ??= volume;
                IUsedBlockSource? blocks = volume is not null
                    ? new LvSegmentSource(volume, lvStart, segment.ExtentCount * group.ExtentBytes)
                    // mkswap writes one page at the start of the LV, which is in its first segment.
                    : source.Content == PartitionContent.Swap && segment.StartExtent == 0 ? RawBlockSource.FromBytes(source.Swap!.Build(size)) : null;
                if (blocks is null)
                {
                    continue;
                }
                placed.Add((diskOffset, blocks, lvStart));
                long used = blocks.Map.UsedBlocks * blocks.BlockSize;
                entries[segment.PhysicalVolume].UsedBytes += used;
                info.UsedBytes += used;
            }
            LvSlices? slices;
            try
            {
                slices = btzone is null || first is null ? null : LvSlices.Create(btzone, dev, first, size, placed, btzoneOptions!);
            }
            catch
            {
                placed.ForEach(p => p.Blocks.Dispose());
                throw;
            }
            foreach ((long diskOffset, IUsedBlockSource blocks, long lvStart) in placed)
            {
                segments.Add(new DiskSegment(diskOffset, blocks, $"{group.Name}/{lv.Name}") { Observer = slices?.Observer(lvStart) });
            }
        }
    }
}

/// <summary>
/// One LV's Clonezilla slices, fed by the segments of the LV as the build streams them in disk
/// order: offsets are moved from segment to LV, and the writer completes after the last segment
/// that has used blocks (the builder skips the others).
/// </summary>
internal sealed class LvSlices
{
    private readonly BtzoneWriter _writer;
    private int _pending;
    private bool _disposed;

    private LvSlices(BtzoneWriter writer, int segments)
    {
        _writer = writer;
        _pending = segments;
    }

    public static LvSlices? Create(string btzone, string name, IUsedBlockSource volume, long size,
        List<(long DiskOffset, IUsedBlockSource Blocks, long LvStart)> placed, BtzoneTorrentOptions options)
    {
        var used = placed.Where(p => p.Blocks.Map.UsedBlocks > 0).OrderBy(p => p.DiskOffset).ToList();
        if (used.Count == 0)
        {
            return null;
        }
        for (int i = 1; i < used.Count; i++)
        {
            if (used[i].LvStart < used[i - 1].LvStart)
            {
                // Slices follow the LV's byte order, and the build streams the disk in its order.
                throw new ImageException(ImageError.NotSupported,
                    $"--btzone: logical volume {name} has segments out of disk order; its Clonezilla slices cannot be written in one pass.");
            }
        }
        BtzoneWriter writer = volume is PartcloneReader ptcl
            ? new BtzoneWriter(btzone, name, ptcl.Header.BlockSize, ptcl.Header.TotalBlocks, options)
            : new BtzoneWriter(btzone, name, 512, size / 512, options);
        return new LvSlices(writer, used.Count);
    }

    public IUsedDataObserver Observer(long lvStart) => new SegmentObserver(this, lvStart);

    private sealed class SegmentObserver(LvSlices owner, long lvStart) : IUsedDataObserver
    {
        public void Append(long segmentOffset, ReadOnlySpan<byte> data) => owner._writer.Append(lvStart + segmentOffset, data);

        public void Complete()
        {
            if (--owner._pending == 0)
            {
                owner._writer.Complete();
            }
        }

        public void Dispose()
        {
            if (!owner._disposed)
            {
                owner._disposed = true;
                owner._writer.Dispose();
            }
        }
    }
}
