using Ezio.BitTorrent.Metainfo;

namespace Ezio.Storage.Tests.TestSupport;

/// <summary>Builds torrent file lists without a parsed torrent.</summary>
internal static class TorrentFiles
{
    /// <summary>Offset-layout files: (target offset, length) pairs in torrent order.</summary>
    public static List<TorrentFile> Offsets(params (long Target, long Length)[] specs)
    {
        var files = new List<TorrentFile>();
        long offset = 0;
        foreach (var (target, length) in specs)
        {
            string name = OffsetLayout.FormatName(target);
            files.Add(new TorrentFile("sda1/" + name, [name], length, offset));
            offset += length;
        }

        return files;
    }

    public static List<TorrentFile> Named(params (string Path, long Length)[] specs)
    {
        var files = new List<TorrentFile>();
        long offset = 0;
        foreach (var (path, length) in specs)
        {
            files.Add(new TorrentFile(path, path.Split('/'), length, offset));
            offset += length;
        }

        return files;
    }
}
