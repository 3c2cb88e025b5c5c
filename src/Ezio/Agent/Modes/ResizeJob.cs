using System.Globalization;
using System.Text;
using Ezio.Agent.Disks;
using Ezio.BitTorrent.Storage;
using Ezio.Deployment.Contracts;
using Ezio.Storage;

namespace Ezio.Agent.Modes;

/// <summary>
/// A job whose image is laid out anew on this machine's disk (<see cref="Job.Resize"/>): the
/// layout is planned once the disk is chosen (refused, before anything is written, when the disk
/// cannot hold the minimum), the image's table is rewritten for it, and the torrent's extents
/// are moved partition by partition (<see cref="PartitionLayout.Relocate"/>) for every open of
/// the disk, so download, recheck, resume and verify all see the same mapping.
/// </summary>
internal static class ResizeJob
{
    /// <summary>The partitions as the layout planner takes them.</summary>
    public static IReadOnlyList<SourcePartition> Sources(DiskResize resize) =>
        resize.Partitions.Select(p => new SourcePartition(p.Number, p.Start, p.Size, p.Fixed, p.MinimumBytes)).ToList();

    /// <summary>
    /// Plans the layout on <paramref name="disk"/>; a disk below the minimum is a
    /// <see cref="RefusalReason.TooSmall"/> refusal naming both sizes.
    /// </summary>
    public static IReadOnlyList<PlacedPartition> Plan(Job job, Disk disk, int sectorSize)
    {
        var resize = job.Resize!;
        if (resize.Partitions.Count == 0 || resize.MinimumDiskSize <= 0 || sectorSize <= 0)
        {
            throw new JobRefusedException(RefusalReason.BadTorrent, "the job asks for a new layout but gives no partitions, minimum or sector size");
        }
        if (disk.SizeBytes < resize.MinimumDiskSize)
        {
            throw new JobRefusedException(RefusalReason.TooSmall, TooSmall(disk.Path, disk.SizeBytes, resize));
        }
        try
        {
            return PartitionLayout.Plan(Sources(resize), sectorSize, PartitioningMode.Label(job.PartitionTable) == "gpt", disk.SizeBytes,
                resize.Policy == ResizePolicy.LastFills ? LayoutPolicy.LastFills : LayoutPolicy.Proportional, disk.Path);
        }
        catch (TargetRefusedException e)
        {
            throw new JobRefusedException(RefusalReason.TooSmall, $"{disk.Path}: {e.Message}");
        }
    }

    /// <summary>"/dev/sdb holds 600 MiB (629145600 bytes) but the image needs at least 700 MiB (…); its source disk had 1.0 GiB".</summary>
    public static string TooSmall(string path, long size, DiskResize resize) =>
        $"{path} holds {DiskCheck.Gib(size)} ({size} bytes) but the image needs at least {DiskCheck.Gib(resize.MinimumDiskSize)} " +
        $"({resize.MinimumDiskSize} bytes) with every resizable partition at its minimum; its source disk had {DiskCheck.Gib(resize.SourceDiskSize)}";

    /// <summary>The disk's storage through the planned layout, or null when the job keeps the image's layout.</summary>
    public static ITorrentStorage? OpenStorage(AgentContext context, RawTargetOptions? options = null) =>
        context.Layout is { } layout
            ? TargetStorage.OpenRelocated(context.Disk!.Path, context.Torrent!, layout, PartitioningMode.SectorSize(context.Job!.PartitionTable), options)
            : null;

    /// <summary>
    /// The image's sfdisk dump with every partition's start and size from the layout. The
    /// first-lba/last-lba lines go (sfdisk takes them from this disk, so a GPT's backup lands at
    /// its real end); partition lines keep their type, UUID, name and attributes.
    /// </summary>
    public static string RewriteTable(string dump, IReadOnlyList<PlacedPartition> layout)
    {
        var byStart = layout.ToDictionary(p => p.SourceStart);
        var text = new StringBuilder();
        foreach (var raw in dump.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var trimmed = line.TrimStart();
            if (trimmed.StartsWith("first-lba:", StringComparison.Ordinal) || trimmed.StartsWith("last-lba:", StringComparison.Ordinal))
            {
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            // Partition lines are "NAME : start=…, size=…"; header lines ("label: gpt") have no start field.
            if (colon > 0 && Field(line[(colon + 1)..], "start") is { } start
                && byStart.TryGetValue(start, out var placed))
            {
                var fields = line[(colon + 1)..].Split(',').Select(f => f.Trim()).Select(f =>
                    f.StartsWith("start=", StringComparison.Ordinal) ? string.Create(CultureInfo.InvariantCulture, $"start={placed.Start}")
                    : f.StartsWith("size=", StringComparison.Ordinal) ? string.Create(CultureInfo.InvariantCulture, $"size={placed.Size}")
                    : f);
                line = line[..(colon + 1)] + " " + string.Join(", ", fields);
            }
            text.Append(line).Append('\n');
        }
        return text.ToString().TrimEnd('\n') + "\n";
    }

    private static long? Field(string fields, string name)
    {
        foreach (var f in fields.Split(','))
        {
            var t = f.Trim();
            if (t.StartsWith(name + "=", StringComparison.Ordinal) &&
                long.TryParse(t[(name.Length + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }
        return null;
    }
}
