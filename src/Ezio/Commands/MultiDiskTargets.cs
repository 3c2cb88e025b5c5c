using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.Storage;
using Ezio.Cli;
using Ezio.Storage;

namespace Ezio.Commands;

/// <summary>
/// `ezio get|seed|verify &lt;torrent&gt; &lt;target&gt;...`: several targets mean one per disk of a
/// multi-disk image (<see cref="MultiDiskLayout"/>), in the image's disk order. A multi-disk
/// torrent with a wrong number of targets is refused, naming them, before anything is written.
/// </summary>
internal static class MultiDiskTargets
{
    /// <summary>True when the command line's targets must go through <see cref="Open"/>.</summary>
    public static bool Applies(Torrent torrent, IReadOnlyList<string> targets) =>
        targets.Count > 1 || (targets.Count == 1 && !EzioImageDirectory(targets[0]) && DiskCount(torrent) > 1);

    /// <summary>
    /// Opens one target per image disk. <paramref name="forSeeding"/> (seed, verify) opens them
    /// read-only; <paramref name="createFile"/> lets a write target under /dev be a regular file.
    /// A block device of other logical sectors than the image's is refused before any write.
    /// </summary>
    public static ITorrentStorage Open(Torrent torrent, IReadOnlyList<string> targets, bool forSeeding,
        bool directReads = false, bool createFile = false)
    {
        if (DiskCount(torrent) <= 1)
        {
            throw new UsageException($"{torrent.Name} is not an image of several disks; give one target, not {targets.Count}.");
        }
        if (forSeeding && targets.FirstOrDefault(t => !File.Exists(t)) is { } missing)
        {
            throw new UsageException($"no such source: {missing}");
        }
        try
        {
            var storage = MultiDiskStorage.Open(torrent, targets,
                new RawTargetOptions { CreateFile = !forSeeding, ReadOnly = forSeeding, DirectReads = directReads, AllowFileUnderDev = createFile });
            if (!forSeeding && torrent.LogicalSectorSize is int sectorSize)
            {
                for (int k = 0; k < storage.Targets.Count; k++)
                {
                    if (storage.Targets[k] is { IsBlockDevice: true } raw && raw.SectorSize != sectorSize)
                    {
                        storage.Dispose();
                        throw new UsageException($"refusing {targets[k]}: it has {raw.SectorSize}-byte logical sectors but the image's partition tables count {sectorSize}-byte sectors; every partition would land at the wrong place.");
                    }
                }
            }
            return storage;
        }
        catch (TargetRefusedException e)
        {
            throw new UsageException($"refusing {string.Join(", ", targets)}: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot open {string.Join(", ", targets)}: {e.Message}");
        }
    }

    private static int DiskCount(Torrent torrent)
    {
        try
        {
            return MultiDiskLayout.DiskCount(torrent.Files);
        }
        catch (TargetRefusedException e)
        {
            throw new UsageException($"refusing {torrent.Name}: {e.Message}");
        }
    }

    private static bool EzioImageDirectory(string path) => Ezio.Imaging.EzioImage.IsImageDirectory(path);
}
