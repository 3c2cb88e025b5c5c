namespace Ezio.BitTorrent.Metainfo;

// CONTRACT STUB: the Bencoding/Metainfo work replaces the bodies; the public shape stays.

/// <summary>One file of a torrent, at its position in the concatenated torrent byte stream.</summary>
/// <param name="Path">Relative path joined with '/'; for a single-file torrent, the name.</param>
/// <param name="PathSegments">The BEP 3 path list (single-file: just the name).</param>
/// <param name="Length">File length in bytes.</param>
/// <param name="Offset">Torrent offset of the file's first byte.</param>
public sealed record TorrentFile(string Path, IReadOnlyList<string> PathSegments, long Length, long Offset);

/// <summary>A parsed v1 metainfo file (BEP 3), single- or multi-file.</summary>
public sealed partial class Torrent
{
    public InfoHash InfoHash { get; }
    public string Name { get; }
    public int PieceLength { get; }
    public int PieceCount { get; }
    public long TotalLength { get; }
    public bool IsMultiFile { get; }
    public bool IsPrivate { get; }
    public IReadOnlyList<TorrentFile> Files { get; }
    /// <summary>Concatenated 20-byte SHA-1 hashes, one per piece.</summary>
    public ReadOnlyMemory<byte> PieceHashes { get; }
    public string? Announce { get; }
    /// <summary>BEP 12 tiers; when absent in the file, one tier holding <see cref="Announce"/> (if any).</summary>
    public IReadOnlyList<IReadOnlyList<string>> AnnounceList { get; }
    public string? Comment { get; }
    public string? CreatedBy { get; }
    /// <summary>The original bytes of the info dictionary (the info-hash is their SHA-1).</summary>
    public ReadOnlyMemory<byte> InfoBytes { get; }

    public ReadOnlySpan<byte> GetPieceHash(int index) => PieceHashes.Span.Slice(index * 20, 20);

    /// <summary>Size of piece <paramref name="index"/> (the last one may be short).</summary>
    public int GetPieceSize(int index) =>
        index == PieceCount - 1 ? (int)(TotalLength - (long)index * PieceLength) : PieceLength;

    /// <summary>Parses a .torrent; throws <see cref="TorrentFormatException"/> on malformed input.</summary>
    public static Torrent Parse(ReadOnlySpan<byte> data) => throw new NotImplementedException();

    public static Torrent Load(string path) => Parse(File.ReadAllBytes(path));

#pragma warning disable CS8618
    private Torrent()
    {
    }
#pragma warning restore CS8618
}

public sealed class TorrentFormatException : FormatException
{
    public TorrentFormatException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>Options for <see cref="TorrentBuilder"/>.</summary>
public sealed class TorrentBuildOptions
{
    /// <summary>Piece length in bytes (power of two, ≥ 16 KiB); 0 picks one from the total size.</summary>
    public int PieceLength { get; init; }
    public IReadOnlyList<string> Announce { get; init; } = [];
    public string? Comment { get; init; }
    public string CreatedBy { get; init; } = "Ezio";
    public bool IsPrivate { get; init; }
    /// <summary>Overrides the torrent name (defaults to the file or directory name).</summary>
    public string? Name { get; init; }
}

/// <summary>Builds v1 .torrent files.</summary>
public static class TorrentBuilder
{
    /// <summary>Hashes a file or a directory tree (files sorted by ordinal path) and returns the .torrent bytes.</summary>
    public static byte[] Create(string path, TorrentBuildOptions options, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();

    /// <summary>
    /// Builds a torrent from logical files whose bytes come from <paramref name="read"/>
    /// (torrent offset, destination). Used for memory sources, extents of disks and images.
    /// </summary>
    public static byte[] Create(string name, IReadOnlyList<(IReadOnlyList<string> PathSegments, long Length)> files,
        Action<long, Span<byte>> read, TorrentBuildOptions options, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();
}
