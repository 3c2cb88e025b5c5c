using Ezio.Imaging.Build;
using Ezio.Storage;

namespace Ezio.Imaging.Clonezilla;

/// <summary>
/// Imports a Clonezilla image of several disks (`disk` = "sda sdb") as one Ezio image with one
/// torrent: each disk is read as a single-disk import would read it, its segments are moved to
/// the disk's base in the shared address space (<see cref="MultiDiskLayout"/>), and all of
/// them stream through one <see cref="ImageBuilder"/> pass. The manifest lists every disk in
/// <see cref="ImageManifest.Disks"/>; its top-level disk fields are the first disk's.
/// </summary>
internal static class ClonezillaMultiDiskImporter
{
    public static ImageManifest Import(string clonezillaDirectory, string outputDirectory, ImageBuildOptions options,
        CancellationToken cancellationToken)
    {
        string[] disks = ClonezillaDisks.Read(clonezillaDirectory);
        if (disks.Length > MultiDiskLayout.MaxDisks)
        {
            throw new ImageException(ImageError.NotSupported, $"{clonezillaDirectory} holds {disks.Length} disks; an image holds at most {MultiDiskLayout.MaxDisks}.");
        }
        if (disks.Distinct(StringComparer.Ordinal).Count() != disks.Length)
        {
            throw new ImageException(ImageError.Malformed, $"{clonezillaDirectory}/disk names a disk twice: {string.Join(" ", disks)}.");
        }
        var manifests = new List<ImageManifest>(disks.Length);
        var usedBytes = new List<long>(disks.Length);
        var all = new List<DiskSegment>();

        // Each disk's import keeps its sources open until the callback returns, so the
        // callback of disk k imports disk k + 1, and the last one builds the whole image.
        ImageManifest ReadDisk(int k) =>
            ClonezillaImporter.Import(clonezillaDirectory, outputDirectory, options with { Disk = disks[k] }, (manifest, segments) =>
            {
                long diskBase = MultiDiskLayout.DiskBase(k);
                foreach (DiskSegment s in segments)
                {
                    if (s.DiskOffset + s.Extent > MultiDiskLayout.DiskBase(1))
                    {
                        throw new ImageException(ImageError.NotSupported, $"{disks[k]}: {s.What} ends past byte 2^{MultiDiskLayout.DiskShift}.");
                    }
                    string what = s.What.StartsWith(disks[k], StringComparison.Ordinal) ? s.What : $"{disks[k]} {s.What}";
                    all.Add(s with { DiskOffset = diskBase + s.DiskOffset, What = what });
                }
                manifests.Add(manifest);
                usedBytes.Add(segments.Sum(s => s.UsedBytes));
                return k + 1 < disks.Length ? ReadDisk(k + 1) : Build(outputDirectory, disks, manifests, usedBytes, all, options, cancellationToken);
            }, cancellationToken);

        return ReadDisk(0);
    }

    private static ImageManifest Build(string outputDirectory, string[] disks, List<ImageManifest> manifests, List<long> usedBytes,
        List<DiskSegment> segments, ImageBuildOptions options, CancellationToken cancellationToken)
    {
        // The first disk's manifest carries the image-wide facts (name, source, created) and
        // stays the top level, so readers that know one disk see a whole first disk.
        ImageManifest manifest = manifests[0];
        // What a disk's pass could not import is the image's: every disk's list, each entry once
        // (a file of the whole image, e.g. an unknown one, is seen by every pass).
        List<string> notImported = [.. manifests.SelectMany(m => m.NotImported ?? []).Distinct(StringComparer.Ordinal)];
        manifest.NotImported = notImported.Count == 0 ? null : notImported;
        manifest.Disks = manifests.Select((m, k) => new ImageDisk
        {
            Name = disks[k],
            Base = MultiDiskLayout.DiskBase(k),
            DiskSize = m.DiskSize,
            LogicalSectorSize = m.LogicalSectorSize,
            PartitionTable = m.PartitionTable,
            BootArea = m.BootArea,
            UsedBytes = usedBytes[k],
        }).ToList();
        // Several disks are laid out as they were saved, never anew.
        manifest.MinimumDiskSize = 0;
        return ImageBuilder.Build(outputDirectory, manifest, segments, options, cancellationToken);
    }
}
