using Ezio.Agent.Disks;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.Storage;
using Ezio.Cli;
using Ezio.Imaging;
using Ezio.Storage;

namespace Ezio.Commands;

/// <summary>
/// <c>--layout relocated</c>: a disk whose partitions lie elsewhere than on the image's disk
/// (deployed with a resize policy, or partitioned by hand). The torrent's extents name offsets
/// on the image's disk; every byte inside image partition N moves to the same place inside
/// partition N of the target's own table (as <c>sfdisk --json</c> reads it), the boot area keeps
/// its offset: the mapping the agent's download, recheck and verify use
/// (<see cref="PartitionLayout.Relocate"/>). Every mismatch is refused before a piece is read.
/// </summary>
internal static class RelocatedTarget
{
    public const string LayoutName = "relocated";

    /// <summary>True when the command line asks for the relocated layout (--layout relocated, or --image alone).</summary>
    public static bool Requested(CommandLine cl) => cl.Value("--layout") == LayoutName || cl.Value("--image") is not null;

    /// <summary>
    /// Opens the one disk in <paramref name="targets"/> through the mapping from <paramref name="image"/> (an image
    /// directory or its image.json; null: image.json beside the torrent file) onto its table.
    /// </summary>
    public static async Task<RawTargetStorage> OpenAsync(Torrent torrent, string torrentSource, IReadOnlyList<string> targets, string? image,
        string? layout, RawTargetOptions options, CancellationToken cancellationToken)
    {
        if (layout is not (null or LayoutName))
        {
            throw new UsageException($"--image goes with --layout relocated, not '{layout}'.");
        }
        if (targets.Count != 1)
        {
            throw new UsageException($"--layout relocated maps the image onto one disk; {targets.Count} targets were given.");
        }
        var target = targets[0];
        if (!File.Exists(target))
        {
            throw new UsageException($"no such target: {target}");
        }
        var manifest = LoadManifest(image ?? Beside(torrentSource), torrent);
        var table = await SfdiskTable.ReadAsync(target, cancellationToken).ConfigureAwait(false);
        var placed = Map(manifest, table, target, writing: !options.ReadOnly);
        try
        {
            return TargetStorage.OpenRelocated(target, torrent, placed, manifest.LogicalSectorSize, options);
        }
        catch (TargetRefusedException e)
        {
            throw new UsageException($"refusing {target}: {e.Message}");
        }
        catch (StorageException e)
        {
            throw new UsageException($"cannot open {target}: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot open {target}: {e.Message}");
        }
    }

    /// <summary>
    /// The image's partitions placed where the target's table has the partitions of the same
    /// numbers. Refuses another table type, other sectors, a missing partition, several disks
    /// and DOS logical partitions (their container overlaps them). When
    /// <paramref name="writing"/>, also a partition below the image's minimum for it: the
    /// file system written there would be cut short, even where its used blocks fit.
    /// </summary>
    public static IReadOnlyList<PlacedPartition> Map(ImageManifest manifest, PartitionTable table, string target, bool writing)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(table);
        var source = manifest.PartitionTable;
        if (manifest.Disks is not null)
        {
            throw new UsageException($"--layout relocated maps an image of one disk; {manifest.Name} holds {manifest.Disks.Count}.");
        }
        if (source.Partitions.Count == 0)
        {
            throw new UsageException($"--layout relocated: the image {manifest.Name} lists no partitions to map.");
        }
        if (source.Label == "dos" && source.Partitions.Any(p => p.Number > 4 || p.Type is "5" or "05" or "f" or "0f" or "85"))
        {
            throw new UsageException($"--layout relocated: the image {manifest.Name} has DOS logical partitions, which cannot be mapped one by one.");
        }
        if (!string.Equals(table.Label, source.Label, StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException($"refusing {target}: it has a {Or(table.Label, "unknown")} partition table but the image's is {Or(source.Label, "unknown")}.");
        }
        if (table.SectorSize != manifest.LogicalSectorSize)
        {
            throw new UsageException($"refusing {target}: its table counts {table.SectorSize}-byte sectors but the image's counts {manifest.LogicalSectorSize}-byte sectors.");
        }
        var placed = new List<PlacedPartition>(source.Partitions.Count);
        foreach (var p in source.Partitions)
        {
            var on = table.Partitions.FirstOrDefault(t => t.Number == p.Number)
                ?? throw new UsageException($"refusing {target}: it has no partition {p.Number}, where the image's partition {p.Number} ({p.Size * manifest.LogicalSectorSize} bytes{(p.FileSystem is { } fs ? ", " + fs : "")}) goes.");
            long bytes = on.Size * table.SectorSize;
            if (writing && bytes < p.MinimumBytes)
            {
                throw new UsageException($"refusing {target}: its partition {p.Number} has {bytes} bytes but the image's needs at least {p.MinimumBytes}{(p.Resizable ? " (its file system at its smallest)" : " (it keeps its size)")}; the file system written there would be cut short.");
            }
            placed.Add(new PlacedPartition(p.Number, p.Start, p.Size, on.Start, on.Size, !p.Resizable));
        }
        return placed;
    }

    /// <summary>image.json (or an image directory holding it) that belongs to <paramref name="torrent"/>.</summary>
    public static ImageManifest LoadManifest(string path, Torrent torrent)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        var file = Directory.Exists(path) ? Path.Combine(path, EzioImage.ManifestFileName) : path;
        if (!File.Exists(file))
        {
            throw new UsageException($"--layout relocated needs the image's {EzioImage.ManifestFileName}: {file} does not exist (give --image DIR|FILE).");
        }
        ImageManifest manifest;
        try
        {
            manifest = ImageManifest.Load(file);
        }
        catch (Exception e) when (e is ImageException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {file}: {e.Message}");
        }
        if (manifest.InfoHash.Length > 0 && !string.Equals(manifest.InfoHash, torrent.InfoHash.ToString(), StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException($"refusing {file}: it describes the image of torrent {manifest.InfoHash}, not {torrent.InfoHash} ({torrent.Name}).");
        }
        return manifest;
    }

    /// <summary>image.json in the directory of a local torrent file.</summary>
    private static string Beside(string torrentSource)
    {
        if (torrentSource.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || torrentSource.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException("--layout relocated with a torrent URL needs --image DIR|FILE (the image's image.json).");
        }
        return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(torrentSource)) ?? ".", EzioImage.ManifestFileName);
    }

    private static string Or(string text, string fallback) => text.Length > 0 ? text : fallback;
}
