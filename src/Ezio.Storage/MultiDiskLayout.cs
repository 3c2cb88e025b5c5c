using Ezio.BitTorrent.Metainfo;

namespace Ezio.Storage;

/// <summary>
/// The offset layout over several disks: one address space in which disk k starts at
/// k × 2^56 (64 PiB, beyond any real disk), so a file named by offset O lands on disk O >> 56
/// at byte O mod 2^56. A single-disk torrent is the case k = 0 and looks exactly as before.
/// The files of an Ezio image are in ascending offset order, so each disk's files are one
/// contiguous range of the torrent; a disk's part of the torrent maps onto its own target.
/// </summary>
public static class MultiDiskLayout
{
    /// <summary>log2 of the address-space stride between two disks.</summary>
    public const int DiskShift = 56;

    /// <summary>Most disks one address space holds (offsets are below 2^63).</summary>
    public const int MaxDisks = 1 << (63 - DiskShift);

    /// <summary>Where disk <paramref name="index"/> starts in the address space.</summary>
    public static long DiskBase(int index) =>
        index is >= 0 and < MaxDisks ? (long)index << DiskShift : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>How many disks an offset-layout torrent's files reach (the highest disk index + 1); 0 when not offset layout.</summary>
    public static int DiskCount(IReadOnlyList<TorrentFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (!OffsetLayout.TryCreate(files, out ExtentMap? map))
        {
            return 0;
        }
        return map.Extents.Count == 0 ? 0 : (int)(map.Extents.Max(e => e.TargetOffset) >> DiskShift) + 1;
    }

    /// <summary>
    /// Splits an offset-layout torrent into one map per disk (torrent offsets rebased to the
    /// disk's first torrent byte, target offsets to the disk's start). Refuses extents that
    /// cross from one disk's space into the next, or disks whose files are not one contiguous
    /// range of the torrent.
    /// </summary>
    public static IReadOnlyList<DiskPart> Split(IReadOnlyList<TorrentFile> files, long torrentLength)
    {
        ExtentMap whole = OffsetLayout.Create(files);
        if (whole.TorrentLength != torrentLength)
        {
            throw new TargetRefusedException(TargetRefusalReason.InvalidLayout,
                $"The files add up to {whole.TorrentLength} bytes, but the torrent length is {torrentLength}.");
        }
        int count = DiskCount(files);
        var byDisk = new List<Extent>[count];
        for (int k = 0; k < count; k++)
        {
            byDisk[k] = [];
        }
        int previous = 0;
        foreach (Extent e in whole.Extents)
        {
            int disk = (int)(e.TargetOffset >> DiskShift);
            if ((e.TargetEnd - 1) >> DiskShift != disk)
            {
                throw new TargetRefusedException(TargetRefusalReason.InvalidLayout,
                    $"Extent '{e.Name}' runs from disk {disk} into the next disk's address space.");
            }
            if (disk < previous)
            {
                throw new TargetRefusedException(TargetRefusalReason.InvalidLayout,
                    $"Extent '{e.Name}' of disk {disk} follows extents of disk {previous}: each disk's files must be one range of the torrent.");
            }
            previous = disk;
            byDisk[disk].Add(e);
        }
        var parts = new DiskPart[count];
        long start = 0;
        for (int k = 0; k < count; k++)
        {
            long length = byDisk[k].Sum(e => e.Length);
            long diskBase = DiskBase(k);
            long torrentStart = start;
            var map = new ExtentMap(byDisk[k].Select(e => e with { TorrentOffset = e.TorrentOffset - torrentStart, TargetOffset = e.TargetOffset - diskBase }), length);
            parts[k] = new DiskPart(k, start, map);
            start += length;
        }
        return parts;
    }
}

/// <summary>Disk <paramref name="Index"/>'s share of a multi-disk torrent: torrent bytes from <paramref name="TorrentStart"/> on, mapped by <paramref name="Map"/>.</summary>
public sealed record DiskPart(int Index, long TorrentStart, ExtentMap Map)
{
    public long TorrentEnd => TorrentStart + Map.TorrentLength;
}
