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

    public static ITorrentStorage Open(Torrent torrent, IReadOnlyList<string> targets, bool forSeeding)
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
            return MultiDiskStorage.Open(torrent, targets, forSeeding ? new RawTargetOptions { CreateFile = false } : null);
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
