namespace Ezio.Storage;

/// <summary>
/// One contiguous run of torrent bytes and where it lands on the target:
/// torrent bytes [TorrentOffset, TorrentOffset + Length) go to target bytes
/// [TargetOffset, TargetOffset + Length).
/// </summary>
/// <param name="Name">The torrent file the extent came from, for error messages.</param>
public readonly record struct Extent(long TorrentOffset, long TargetOffset, long Length, string Name)
{
    public long TorrentEnd => TorrentOffset + Length;

    public long TargetEnd => TargetOffset + Length;
}

/// <summary>A stretch of one write or read that is contiguous on the target.</summary>
/// <param name="DataOffset">Where the run starts inside the caller's buffer.</param>
internal readonly record struct TargetRun(long TargetOffset, int DataOffset, int Length);
