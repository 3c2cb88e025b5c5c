using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.Storage;
using Ezio.Cli;
using Ezio.Imaging;
using Ezio.Imaging.Partclone;
using Ezio.Imaging.Store;
using Ezio.Storage;

namespace Ezio.Commands;

internal static class Targets
{
    public static StorageLayout ParseLayout(string? text) => text switch
    {
        null or "auto" => StorageLayout.Auto,
        "offsets" => StorageLayout.Offsets,
        "files" => StorageLayout.Files,
        _ => throw new UsageException($"--layout wants auto, offsets, files or {RelocatedTarget.LayoutName}, not '{text}'."),
    };

    /// <summary>
    /// Opens the target; every refusal becomes one clear line before anything is written.
    /// <paramref name="forSeeding"/> (seed, verify) opens it read-only: nothing is created,
    /// extended or written. <paramref name="createFile"/> lets a write target under /dev be
    /// a regular file; otherwise a path there must be an existing block device.
    /// </summary>
    public static ITorrentStorage Open(Torrent torrent, string path, StorageLayout layout, bool forSeeding,
        bool directReads = false, bool createFile = false)
    {
        if (forSeeding && !File.Exists(path) && !Directory.Exists(path))
        {
            throw new UsageException($"no such source: {path}");
        }
        // Seeding from a directory can only mean its files (e.g. a Clonezilla btzone slice
        // directory), even when the names are disk offsets.
        if (forSeeding && layout == StorageLayout.Auto && Directory.Exists(path))
        {
            layout = StorageLayout.Files;
        }
        try
        {
            if (forSeeding && EzioImage.IsImageDirectory(path))
            {
                return OpenImage(torrent, path);
            }
            // An uncompressed partclone image seeds a per-partition (btzone) torrent directly.
            if (forSeeding && PartcloneImageStorage.IsPartcloneImage(path))
            {
                return PartcloneImageStorage.Open(path, torrent);
            }
            var storage = TargetStorage.Open(path, torrent, layout,
                new RawTargetOptions { ReadOnly = forSeeding, DirectReads = directReads, AllowFileUnderDev = createFile });
            // An Ezio image carries its partition table in its bytes, counted in the sectors of
            // the disk it was taken from: on a disk with other sectors every partition moves.
            if (!forSeeding && storage is RawTargetStorage { IsBlockDevice: true } raw && torrent.LogicalSectorSize is int sectorSize
                && raw.SectorSize != sectorSize)
            {
                storage.Dispose();
                throw new UsageException($"refusing {path}: it has {raw.SectorSize}-byte logical sectors but the image's partition table counts {sectorSize}-byte sectors; every partition would land at the wrong place.");
            }
            return storage;
        }
        catch (PartcloneException e)
        {
            throw new UsageException($"refusing {path}: {e.Message}");
        }
        catch (TargetRefusedException e)
        {
            throw new UsageException($"refusing {path}: {e.Message}");
        }
        catch (StorageException e)
        {
            throw new UsageException($"cannot open {path}: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot open {path}: {e.Message}");
        }
    }

    /// <summary>An Ezio image directory seeds straight from its compressed piece store.</summary>
    private static PieceStoreStorage OpenImage(Torrent torrent, string directory)
    {
        var storage = PieceStoreStorage.Open(directory);
        if (!storage.Store.InfoHash.Span.SequenceEqual(torrent.InfoHash.ToArray()))
        {
            storage.Dispose();
            throw new UsageException($"refusing {directory}: its pieces.ezp belongs to another torrent than {torrent.Name}.");
        }
        return storage;
    }
}
