using Ezio.BitTorrent.Metainfo;

namespace Ezio.TestKit.Metainfo;

/// <summary>
/// A multi-file torrent whose content is random bytes held in memory, built through the
/// builder's read-callback overload (no files on disk).
/// </summary>
public sealed class MemoryTorrent
{
    private MemoryTorrent(byte[] data, byte[] metainfo, IReadOnlyList<(IReadOnlyList<string> PathSegments, long Length)> files)
    {
        Data = data;
        Metainfo = metainfo;
        Files = files;
        Torrent = Torrent.Parse(metainfo);
    }

    /// <summary>The concatenated content of every file, in torrent order.</summary>
    public byte[] Data { get; }

    /// <summary>The .torrent bytes.</summary>
    public byte[] Metainfo { get; }

    public Torrent Torrent { get; }

    public IReadOnlyList<(IReadOnlyList<string> PathSegments, long Length)> Files { get; }

    /// <summary>
    /// Random content of <paramref name="totalLength"/> bytes cut into <paramref name="fileCount"/>
    /// files of random, odd sizes, so file and piece boundaries rarely line up.
    /// </summary>
    public static MemoryTorrent Create(int totalLength, int pieceLength, int fileCount, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalLength, fileCount);
        var random = new Random(seed);
        var data = new byte[totalLength];
        random.NextBytes(data);

        // fileCount - 1 distinct odd cut points (odd offsets make every size but perhaps the last odd).
        var cuts = new SortedSet<int>();
        while (cuts.Count < fileCount - 1)
        {
            cuts.Add(random.Next(1, totalLength / 2) * 2 - 1);
        }
        var files = new List<(IReadOnlyList<string> PathSegments, long Length)>();
        var start = 0;
        var number = 0;
        foreach (var end in cuts.Append(totalLength))
        {
            IReadOnlyList<string> path = number % 3 == 2 ? ["sub", $"file{number}.bin"] : [$"file{number}.bin"];
            files.Add((path, end - start));
            start = end;
            number++;
        }

        var metainfo = TorrentBuilder.Create("swarm", files,
            (offset, destination) => data.AsSpan((int)offset, destination.Length).CopyTo(destination),
            new TorrentBuildOptions { PieceLength = pieceLength, CreationDate = DateTimeOffset.UnixEpoch });
        return new MemoryTorrent(data, metainfo, files);
    }
}
