namespace Ezio.BitTorrent.Metainfo;

/// <summary>Options for <see cref="TorrentBuilder"/>.</summary>
public sealed class TorrentBuildOptions
{
    /// <summary>Piece length in bytes (power of two, ≥ 16 KiB); 0 picks one from the total size.</summary>
    public int PieceLength { get; init; }
    /// <summary>Tracker URLs; the first is "announce", and with more than one each gets its own BEP 12 tier.</summary>
    public IReadOnlyList<string> Announce { get; init; } = [];
    public string? Comment { get; init; }
    public string CreatedBy { get; init; } = "Ezio";
    public bool IsPrivate { get; init; }
    /// <summary>Overrides the torrent name (defaults to the file or directory name).</summary>
    public string? Name { get; init; }
    /// <summary>The "creation date" to write; null writes the current time. Set it for reproducible output.</summary>
    public DateTimeOffset? CreationDate { get; init; }
    /// <summary>Writes "ezio logical sector size" (outside the info dictionary) when set: a disk image's sector size.</summary>
    public int? LogicalSectorSize { get; init; }
    /// <summary>Computes "ezio block roots" (<see cref="BlockHashes"/>) while hashing (<c>TorrentBuilder.Create</c>).</summary>
    public bool WithBlockRoots { get; init; }
    /// <summary>"ezio block roots" computed elsewhere (<see cref="TorrentBuilder.CreateFromHashes"/>): 32 bytes per piece, or empty.</summary>
    public ReadOnlyMemory<byte> BlockRoots { get; init; }
}
