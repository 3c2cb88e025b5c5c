using System.Globalization;
using System.Text.RegularExpressions;
using Ezio.Imaging.Build;
using Ezio.Imaging.Partclone;

namespace Ezio.Imaging.Clonezilla;

/// <summary>Turns a Clonezilla image directory into an Ezio image in one streaming pass.</summary>
public static partial class ClonezillaImporter
{
    /// <summary>Bytes of the MBR that hold boot code (the partition table follows at 446).</summary>
    public const int MbrBootCodeLength = 446;

    public static ImageManifest Import(string clonezillaDirectory, string outputDirectory, ImageBuildOptions options,
        CancellationToken cancellationToken = default) =>
        options.Disk is null && ClonezillaDisks.Count(clonezillaDirectory) > 1
            ? ClonezillaMultiDiskImporter.Import(clonezillaDirectory, outputDirectory, options, cancellationToken)
            : Import(clonezillaDirectory, outputDirectory, options, build: null, cancellationToken);

    /// <summary>
    /// Reads one disk (<see cref="ImageBuildOptions.Disk"/> or the only one) into a manifest and
    /// segments; <paramref name="build"/> turns them into the image (default: <see cref="ImageBuilder.Build"/>)
    /// while the segments' sources are still open.
    /// </summary>
    internal static ImageManifest Import(string clonezillaDirectory, string outputDirectory, ImageBuildOptions options,
        Func<ImageManifest, List<DiskSegment>, ImageManifest>? build, CancellationToken cancellationToken)
    {
        var image = ClonezillaImage.Open(clonezillaDirectory, options.Disk, options.AllowPartial);
        string tablePath = image.PartitionTablePath
            ?? throw new ImageException(ImageError.Malformed, $"{image.Directory} has no {image.Disk}-pt.sf: a whole-disk image needs the partition table.");
        var table = SfdiskDump.Parse(File.ReadAllText(tablePath));
        var manifest = new ImageManifest
        {
            Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(outputDirectory))),
            Source = image.Directory,
            Created = options.Created ?? DateTimeOffset.UtcNow,
            LogicalSectorSize = table.SectorSize,
            DiskSize = Math.Max(ReadPartedDiskSize(image, table.SectorSize) ?? 0, table.MinimumDiskSize),
            NotImported = image.Problems.Count == 0 ? null : image.Problems.Select(p => p.ToString()).ToList(),
        };
        var segments = new List<DiskSegment>();
        string? btzone = options.BtzoneDirectory is null ? null : PrepareBtzone(image, options.BtzoneDirectory);
        var btzoneOptions = new BtzoneTorrentOptions { Announce = options.Announce, Created = manifest.Created };
        try
        {
            AddBootArea(image, table, manifest, segments);
            manifest.PartitionTable = new PartitionTableInfo { Label = table.Label, Sfdisk = table.Text };
            foreach (SfdiskPartition p in table.Partitions)
            {
                string name = DeviceName(p);
                ClonezillaPartition? source = image.Partitions.FirstOrDefault(c => c.Name == name);
                var info = new PartitionInfo
                {
                    Number = p.Number,
                    Device = name,
                    Start = p.Start,
                    Size = p.Size,
                    Type = p.Type,
                    FileSystem = source?.FileSystem,
                    Content = "none",
                    LeftEmpty = image.LeftEmpty(name),
                };
                manifest.PartitionTable.Partitions.Add(info);
                if (source is null || source.Content == PartitionContent.Lvm)
                {
                    continue;
                }
                long offset = p.Start * table.SectorSize;
                long size = p.Size * table.SectorSize;
                IUsedBlockSource? blocks = source.Content switch
                {
                    PartitionContent.Partclone => OpenPartclone(source, size),
                    PartitionContent.Raw => new RawBlockSource(source.OpenStream(), size),
                    PartitionContent.Swap => RawBlockSource.FromBytes(source.Swap!.Build(size)),
                    _ => null,
                };
                info.Content = source.Content.ToString().ToLowerInvariant();
                if (blocks is PartcloneReader && options.Compact && FileSystemCompactor.CanCompact(source.FileSystem))
                {
                    blocks = FileSystemCompactor.Compact(blocks, source.FileSystem!, name, options.TemporaryDirectory ?? outputDirectory);
                    info.Compacted = true;
                }
                if (blocks is not null)
                {
                    // Clonezilla slices dd partitions as partclone.dd does: 512-byte blocks, all used.
                    // Swap is recreated, never sliced.
                    BtzoneWriter? slices = btzone is null || source.Content == PartitionContent.Swap ? null
                        : (blocks as PartcloneReader ?? (blocks as CompactedSource)?.Reader) is { } ptcl
                        ? new BtzoneWriter(btzone, name, ptcl.Header.BlockSize, ptcl.Header.TotalBlocks, btzoneOptions)
                        : new BtzoneWriter(btzone, name, 512, size / 512, btzoneOptions);
                    segments.Add(new DiskSegment(offset, blocks, name) { Observer = slices });
                    info.BlockSize = blocks.BlockSize;
                    info.UsedBytes = blocks.Map.UsedBlocks * blocks.BlockSize;
                    info.MinimumBytes = blocks.Map.TotalBlocks * blocks.BlockSize;
                }
            }
            foreach (ClonezillaPartition c in image.Partitions.Where(c => c.Content is not PartitionContent.None))
            {
                if (!manifest.PartitionTable.Partitions.Any(p => p.Device == c.Name))
                {
                    throw new ImageException(ImageError.Malformed, $"Partition {c.Name} has an image but is not in {Path.GetFileName(tablePath)}.");
                }
            }
            foreach (ClonezillaVolumeGroup vg in image.VolumeGroups)
            {
                LvmPlacement.Add(image, vg, table, manifest, segments, btzone, btzoneOptions);
            }
            ResizeFacts.Fill(manifest);
            return build is null ? ImageBuilder.Build(outputDirectory, manifest, segments, options, cancellationToken) : build(manifest, segments);
        }
        finally
        {
            foreach (DiskSegment segment in segments)
            {
                segment.Source.Dispose();
                segment.Observer?.Dispose();
            }
        }
    }

    /// <summary>Creates &lt;root&gt;/&lt;IMAGE&gt;/ and copies Info-img-id.txt there, as ocs-gen-bt-slices does.</summary>
    private static string PrepareBtzone(ClonezillaImage image, string root)
    {
        string directory = Path.Combine(root, Path.GetFileName(image.Directory));
        Directory.CreateDirectory(directory);
        string id = Path.Combine(image.Directory, "Info-img-id.txt");
        if (File.Exists(id))
        {
            File.Copy(id, Path.Combine(directory, "Info-img-id.txt"), overwrite: true);
        }
        return directory;
    }

    /// <summary>The Clonezilla name of a partition of the dump: /dev/sda3 → sda3, /dev/cciss/c0d0p1 → cciss-c0d0p1.</summary>
    internal static string DeviceName(SfdiskPartition p) =>
        p.Device.StartsWith("/dev/", StringComparison.Ordinal) ? p.Device[5..].Replace('/', '-') : p.Device;

    internal static PartcloneReader OpenPartclone(ClonezillaPartition source, long partitionSize)
    {
        Stream stream = source.OpenStream();
        try
        {
            var reader = PartcloneReader.Open(stream);
            if (reader.Header.TotalBlocks * reader.BlockSize > partitionSize)
            {
                reader.Dispose();
                throw new ImageException(ImageError.Malformed,
                    $"{source.Files[0]} covers {reader.Header.TotalBlocks * reader.BlockSize} bytes, more than the {partitionSize}-byte partition.");
            }
            return reader;
        }
        catch (PartcloneException e)
        {
            stream.Dispose();
            throw new ImageException(ImageError.Malformed, $"{source.Files[0]}: {e.Message}", e);
        }
    }

    private static void AddBootArea(ClonezillaImage image, SfdiskDump table, ImageManifest manifest, List<DiskSegment> segments)
    {
        long firstStart = table.Partitions.Count == 0 ? 0 : table.Partitions.Min(p => p.Start) * table.SectorSize;
        if (image.MbrPath is string mbrPath)
        {
            byte[] mbr = File.ReadAllBytes(mbrPath);
            if (mbr.Length >= MbrBootCodeLength)
            {
                segments.Add(new DiskSegment(0, RawBlockSource.FromBytes(mbr[..MbrBootCodeLength]), "mbr boot code"));
                manifest.BootArea.Add(new BootExtent { Offset = 0, Length = MbrBootCodeLength, What = "mbr boot code" });
            }
        }
        if (image.HiddenDataPath is string hiddenPath)
        {
            // The file holds the disk from sector 1 on. On GPT disks the primary table lives in
            // its first sectors and is written from the manifest, so only what follows is kept.
            long start = table.Label == "gpt" ? (2 + 16384 / table.SectorSize) * table.SectorSize : table.SectorSize;
            byte[] hidden = File.ReadAllBytes(hiddenPath);
            long end = Math.Min(table.SectorSize + hidden.LongLength, firstStart);
            if (end > start)
            {
                byte[] kept = hidden[(int)(start - table.SectorSize)..(int)(end - table.SectorSize)];
                segments.Add(new DiskSegment(start, RawBlockSource.FromBytes(kept), "hidden data after mbr"));
                manifest.BootArea.Add(new BootExtent { Offset = start, Length = kept.Length, What = "hidden data after mbr" });
            }
        }
    }

    private static long? ReadPartedDiskSize(ClonezillaImage image, int sectorSize)
    {
        string path = Path.Combine(image.Directory, $"{image.Disk}-pt.parted");
        if (!File.Exists(path))
        {
            return null;
        }
        Match m = PartedDisk().Match(File.ReadAllText(path));
        return m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * sectorSize : null;
    }

    [GeneratedRegex(@"^Disk /dev/\S+: (\d+)s$", RegexOptions.Multiline)]
    private static partial Regex PartedDisk();
}
