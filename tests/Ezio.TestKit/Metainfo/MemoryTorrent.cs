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
    /// Text made of a small vocabulary (compresses about 3:1 with zstd), a run of zeros
    /// (empty blocks) and a tenth of random bytes (already compressed files).
    /// </summary>
    private static void FillLikeAFileSystem(byte[] data, Random random)
    {
        string[] words = ["ezio", "deploy", "piece", "block", "kernel", "initrd", "swarm", "disk", "verify", "seed", "/usr/lib", "\n", "0x7f", "config"];
        var position = 0;
        while (position < data.Length)
        {
            var region = Math.Min(data.Length - position, 1 << 20);
            var span = data.AsSpan(position, region);
            switch (random.Next(10))
            {
                case 0:
                    random.NextBytes(span);
                    break;
                case 1:
                    span.Clear();
                    break;
                default:
                    var i = 0;
                    while (i < span.Length)
                    {
                        var word = words[random.Next(words.Length)];
                        for (var c = 0; c < word.Length && i < span.Length; c++)
                        {
                            span[i++] = (byte)word[c];
                        }
                        if (i < span.Length)
                        {
                            span[i++] = (byte)' ';
                        }
                    }
                    break;
            }
            position += region;
        }
    }

    /// <summary>
    /// Content of <paramref name="totalLength"/> bytes cut into <paramref name="fileCount"/>
    /// files of random, odd sizes, so file and piece boundaries rarely line up.
    /// <paramref name="randomRange"/>: with <paramref name="compressible"/>, a byte range made
    /// random afterwards (a run of already-compressed files on a disk). With
    /// <paramref name="blockRoots"/> the torrent carries "ezio block roots" (block relay).
    /// </summary>
    public static MemoryTorrent Create(int totalLength, int pieceLength, int fileCount, int seed, bool compressible = false,
        Range? randomRange = null, bool blockRoots = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalLength, fileCount);
        var random = new Random(seed);
        var data = new byte[totalLength];
        if (compressible)
        {
            FillLikeAFileSystem(data, random);
            if (randomRange is { } range)
            {
                random.NextBytes(data.AsSpan()[range]);
            }
        }
        else
        {
            random.NextBytes(data);
        }

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
            new TorrentBuildOptions { PieceLength = pieceLength, CreationDate = DateTimeOffset.UnixEpoch, WithBlockRoots = blockRoots });
        return new MemoryTorrent(data, metainfo, files);
    }
}
