namespace Ezio.Storage;

/// <summary>A partition of the image's disk, as the layout of another disk needs it.</summary>
/// <param name="Start">First sector on the image's disk.</param>
/// <param name="Size">Sectors on the image's disk.</param>
/// <param name="Fixed">Keeps its size on every disk (ESP, MSR, recovery, or content that cannot be resized).</param>
/// <param name="MinimumBytes">The smallest partition that holds its content (the file system's size once shrunk).</param>
public sealed record SourcePartition(int Number, long Start, long Size, bool Fixed, long MinimumBytes);

/// <summary>Where a partition of the image lands on one target disk (sectors).</summary>
public sealed record PlacedPartition(int Number, long SourceStart, long SourceSize, long Start, long Size, bool Fixed)
{
    /// <summary>True when the partition moved or changed size on this disk.</summary>
    public bool Moved => Start != SourceStart || Size != SourceSize;
}

/// <summary>How a disk of another size than the image's is laid out.</summary>
public enum LayoutPolicy
{
    /// <summary>Resizable partitions are scaled by the same factor (within their minimums).</summary>
    Proportional,

    /// <summary>Resizable partitions keep their size; the last one takes what is left (down to its minimum, then the others shrink).</summary>
    LastFills,
}

/// <summary>
/// Lays out the image's partitions on a target disk of any size: the first partition starts
/// where it started on the image's disk, every later one on the next 1 MiB boundary; fixed
/// partitions keep their size, resizable ones are scaled (or the last one fills the disk) but
/// never fall below their minimum; a GPT keeps room for its backup header and entries at the
/// disk's real end. Pure arithmetic, in the table's sectors.
/// </summary>
public static class PartitionLayout
{
    /// <summary>Partition starts and resized sizes are multiples of this.</summary>
    public const long AlignmentBytes = 1 << 20;

    /// <summary>The smallest disk the partitions fit on, in bytes.</summary>
    public static long MinimumDiskSize(IReadOnlyList<SourcePartition> partitions, int sectorSize, bool gpt)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        if (partitions.Count == 0)
        {
            return 0;
        }
        // The same reckoning as Plan's room: each fixed partition takes its size rounded up to
        // the alignment, each resizable one its aligned minimum.
        long align = Align(sectorSize);
        long end = AlignUp(partitions.Min(p => p.Start), align);
        foreach (SourcePartition p in partitions)
        {
            end += p.Fixed ? AlignUp(p.Size, align) : MinimumSectors(p, sectorSize, align);
        }
        return (end + BackupSectors(sectorSize, gpt)) * sectorSize;
    }

    /// <summary>
    /// Places the partitions on a disk of <paramref name="diskSize"/> bytes. Throws
    /// <see cref="TargetRefusedException"/> (<see cref="TargetRefusalReason.ExtentPastEnd"/>)
    /// when the disk is smaller than <see cref="MinimumDiskSize"/>, naming both sizes.
    /// </summary>
    public static IReadOnlyList<PlacedPartition> Plan(IReadOnlyList<SourcePartition> partitions, int sectorSize, bool gpt, long diskSize,
        LayoutPolicy policy, string targetName = "the disk")
    {
        ArgumentNullException.ThrowIfNull(partitions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sectorSize);
        long minimum = MinimumDiskSize(partitions, sectorSize, gpt);
        if (diskSize < minimum)
        {
            throw new TargetRefusedException(TargetRefusalReason.ExtentPastEnd,
                $"{targetName} has {diskSize} bytes ({Mib(diskSize)}), but the image needs at least {minimum} bytes ({Mib(minimum)}) even with every resizable partition at its minimum.");
        }
        if (partitions.Count == 0)
        {
            return [];
        }
        long align = Align(sectorSize);
        var ordered = partitions.OrderBy(p => p.Start).ToList();
        long usableEnd = diskSize / sectorSize - BackupSectors(sectorSize, gpt);

        // Room for the resizable partitions: everything after the first start that the fixed
        // ones (each rounded up to the alignment, as packing does) leave over.
        long room = usableEnd - AlignUp(ordered[0].Start, align) - ordered.Where(p => p.Fixed).Sum(p => AlignUp(p.Size, align));
        var flexible = ordered.Where(p => !p.Fixed).ToList();
        var sizes = new Dictionary<int, long>();
        if (flexible.Count > 0)
        {
            long[] minimums = flexible.Select(p => MinimumSectors(p, sectorSize, align)).ToArray();
            long[] chosen = policy == LayoutPolicy.LastFills
                ? LastFills(flexible, minimums, room, align)
                : Proportional(flexible, minimums, room, align);
            for (int i = 0; i < flexible.Count; i++)
            {
                sizes[flexible[i].Number] = chosen[i];
            }
        }

        var placed = new List<PlacedPartition>(ordered.Count);
        long next = ordered[0].Start;
        foreach (SourcePartition p in ordered)
        {
            long start = placed.Count == 0 ? next : AlignUp(next, align);
            long size = p.Fixed ? p.Size : sizes[p.Number];
            placed.Add(new PlacedPartition(p.Number, p.Start, p.Size, start, size, p.Fixed));
            next = start + size;
        }
        if (next > usableEnd)
        {
            throw new InvalidOperationException($"The layout ends at sector {next}, past the usable end {usableEnd}.");
        }
        return placed;
    }

    /// <summary>
    /// Re-targets <paramref name="map"/> (whose target offsets are the image's disk) onto the
    /// placed partitions: a byte at offset k inside source partition p lands at k inside p's new
    /// place; bytes outside every partition (boot area) keep their offset. The torrent side is
    /// unchanged, so pieces keep their content and hashes. Throws
    /// <see cref="TargetRefusedException"/> when a partition's data reaches past its new size.
    /// </summary>
    public static ExtentMap Relocate(ExtentMap map, IReadOnlyList<PlacedPartition> placed, int sectorSize)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(placed);
        PlacedPartition[] bySource = placed.OrderBy(p => p.SourceStart).ToArray();
        var extents = new List<Extent>(map.Extents.Count + bySource.Length);
        foreach (Extent extent in map.Extents)
        {
            long torrent = extent.TorrentOffset;
            long source = extent.TargetOffset;
            long left = extent.Length;
            while (left > 0)
            {
                PlacedPartition? inside = null;
                long take = left;
                foreach (PlacedPartition p in bySource)
                {
                    long start = p.SourceStart * sectorSize;
                    long end = (p.SourceStart + p.SourceSize) * sectorSize;
                    if (source >= start && source < end)
                    {
                        inside = p;
                        take = Math.Min(left, end - source);
                        break;
                    }
                    if (start > source)
                    {
                        take = Math.Min(left, start - source);
                        break;
                    }
                }
                long target = source;
                if (inside is not null)
                {
                    long within = source - inside.SourceStart * sectorSize;
                    if (within + take > inside.Size * sectorSize)
                    {
                        throw new TargetRefusedException(TargetRefusalReason.ExtentPastEnd,
                            $"Partition {inside.Number} holds data up to byte {within + take} of itself, but it has only {inside.Size * sectorSize} bytes on this disk.");
                    }
                    target = inside.Start * sectorSize + within;
                }
                extents.Add(new Extent(torrent, target, take, extent.Name));
                torrent += take;
                source += take;
                left -= take;
            }
        }
        return new ExtentMap(extents, map.TorrentLength);
    }

    private static long[] Proportional(List<SourcePartition> flexible, long[] minimums, long room, long align)
    {
        // Water-filling: scale every partition by room / total; those that would fall below
        // their minimum are pinned there and the rest is scaled again over the others.
        var pinned = new bool[flexible.Count];
        var sizes = new long[flexible.Count];
        while (true)
        {
            long free = room - Enumerable.Range(0, flexible.Count).Where(i => pinned[i]).Sum(i => minimums[i]);
            long weight = Enumerable.Range(0, flexible.Count).Where(i => !pinned[i]).Sum(i => flexible[i].Size);
            bool changed = false;
            for (int i = 0; i < flexible.Count; i++)
            {
                if (pinned[i])
                {
                    sizes[i] = minimums[i];
                    continue;
                }
                long scaled = weight == 0 ? 0 : AlignDown((long)((double)flexible[i].Size * free / weight), align);
                if (scaled < minimums[i])
                {
                    pinned[i] = true;
                    changed = true;
                }
                sizes[i] = Math.Max(scaled, minimums[i]);
            }
            if (!changed)
            {
                break;
            }
        }
        // Rounding down left a few MiB: the last resizable partition takes them.
        sizes[^1] += AlignDown(room - sizes.Sum(), align);
        return sizes;
    }

    private static long[] LastFills(List<SourcePartition> flexible, long[] minimums, long room, long align)
    {
        var sizes = new long[flexible.Count];
        for (int i = 0; i < flexible.Count - 1; i++)
        {
            sizes[i] = Math.Max(AlignUp(flexible[i].Size, align), minimums[i]);
        }
        long need = minimums[^1];
        // Too little left for the last one: the earlier ones give back down to their minimums, last first.
        for (int i = flexible.Count - 2; i >= 0 && room - sizes[..^1].Sum() < need; i--)
        {
            long over = sizes[..^1].Sum() + need - room;
            sizes[i] = Math.Max(minimums[i], sizes[i] - AlignUp(over, align));
        }
        sizes[^1] = AlignDown(room - sizes[..^1].Sum(), align);
        return sizes;
    }

    private static long MinimumSectors(SourcePartition p, int sectorSize, long align)
    {
        if (p.Fixed)
        {
            return p.Size;
        }
        long bytes = Math.Max(p.MinimumBytes, 1);
        return AlignUp((bytes + sectorSize - 1) / sectorSize, align);
    }

    /// <summary>A GPT's backup: 16 KiB of entries plus the header sector.</summary>
    private static long BackupSectors(int sectorSize, bool gpt) => gpt ? 1 + (16384 / sectorSize) : 0;

    private static long Align(int sectorSize) => Math.Max(1, AlignmentBytes / sectorSize);

    private static long AlignUp(long value, long align) => (value + align - 1) / align * align;

    private static long AlignDown(long value, long align) => value / align * align;

    private static string Mib(long bytes) => $"{bytes / (1 << 20)} MiB";
}
