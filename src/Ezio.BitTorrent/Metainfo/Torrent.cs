namespace Ezio.BitTorrent.Metainfo;

// BEP 3, "metainfo files": https://www.bittorrent.org/beps/bep_0003.html
// BEP 12, "announce-list":  https://www.bittorrent.org/beps/bep_0012.html
//
//   d
//     8:announce      <url>                         optional here (trackerless torrents)
//     13:announce-list l l <url>... e ... e          tiers, tried in order (BEP 12)
//     7:comment       <text>                        optional
//     10:created by   <text>                        optional
//     13:creation date i<unix seconds>e              optional
//     24:ezio logical sector size i<bytes>e          optional, Ezio disk images: the unit the
//                                                   image's partition table counts in
//     8:url-list      l <url>... e  or  <url>        optional, BEP 19 web seeds
//     4:info d                                      SHA-1 of these exact bytes = info-hash
//       6:length  i<bytes>e                         single-file, or
//       5:files   l d 6:length i<n>e 4:path l <segment>... e e ... e    multi-file
//       4:name    <file name | directory name>
//       12:piece length i<bytes>e
//       6:pieces  <20-byte SHA-1 x piece count>
//       7:private i1e                               optional (BEP 27)
//     e
//   e
//
// Parsing lives in Torrent.Parse.cs, path rules in TorrentPath.cs, building in TorrentBuilder*.cs.

/// <summary>One file of a torrent, at its position in the concatenated torrent byte stream.</summary>
/// <param name="Path">Relative path joined with '/'; for a single-file torrent, the name.</param>
/// <param name="PathSegments">The BEP 3 path list (single-file: just the name).</param>
/// <param name="Length">File length in bytes.</param>
/// <param name="Offset">Torrent offset of the file's first byte.</param>
public sealed record TorrentFile(string Path, IReadOnlyList<string> PathSegments, long Length, long Offset);

/// <summary>A parsed v1 metainfo file (BEP 3), single- or multi-file.</summary>
/// <remarks>Immutable; safe to share between threads.</remarks>
public sealed partial class Torrent
{
    /// <summary>Size of one SHA-1 piece hash.</summary>
    public const int PieceHashSize = 20;

    /// <summary>Largest piece length accepted (256 MiB); bigger pieces are a memory hazard, not a torrent.</summary>
    public const int MaxPieceLength = 256 * 1024 * 1024;

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
    /// <summary>The "creation date" key, when present and representable.</summary>
    public DateTimeOffset? CreationDate { get; }
    /// <summary>
    /// "ezio logical sector size": the logical sector size of the disk an Ezio image was taken
    /// from, outside the info dictionary (the info-hash does not change). Null when absent or
    /// not a power of two from 512 to 65536.
    /// </summary>
    public int? LogicalSectorSize { get; }
    /// <summary>BEP 19 web seeds ("url-list", outside the info dictionary): the http(s) URLs, in order.</summary>
    public IReadOnlyList<Uri> WebSeeds { get; }
    /// <summary>The original bytes of the info dictionary (the info-hash is their SHA-1).</summary>
    public ReadOnlyMemory<byte> InfoBytes { get; }
    /// <summary>
    /// "ezio block roots" (inside the info dictionary): one 32-byte root per piece
    /// (<see cref="BlockHashes"/>), empty when the torrent has none. With them, peers may relay
    /// a piece's blocks before the piece is whole.
    /// </summary>
    public ReadOnlyMemory<byte> BlockRoots { get; }

    public bool HasBlockRoots => !BlockRoots.IsEmpty;

    /// <summary>True when <paramref name="list"/> is piece <paramref name="index"/>'s block list (its SHA-256 is the piece's root).</summary>
    public bool VerifyBlockList(int index, ReadOnlySpan<byte> list)
    {
        if (!HasBlockRoots || list.Length != BlockHashes.ListLength(GetPieceSize(index)))
        {
            return false;
        }
        Span<byte> root = stackalloc byte[BlockHashes.HashSize];
        System.Security.Cryptography.SHA256.HashData(list, root);
        return root.SequenceEqual(BlockRoots.Span.Slice(index * BlockHashes.HashSize, BlockHashes.HashSize));
    }

    public ReadOnlySpan<byte> GetPieceHash(int index) => PieceHashes.Span.Slice(index * PieceHashSize, PieceHashSize);

    /// <summary>True when <paramref name="piece"/> (exactly the piece's bytes) matches piece <paramref name="index"/>'s SHA-1.</summary>
    public bool VerifyPiece(int index, ReadOnlySpan<byte> piece)
    {
        Span<byte> hash = stackalloc byte[PieceHashSize];
        System.Security.Cryptography.SHA1.HashData(piece, hash);
        return hash.SequenceEqual(GetPieceHash(index));
    }

    /// <summary>Size of piece <paramref name="index"/> (the last one may be short).</summary>
    public int GetPieceSize(int index) =>
        index == PieceCount - 1 ? (int)(TotalLength - (long)index * PieceLength) : PieceLength;

    public static Torrent Load(string path) => Parse(File.ReadAllBytes(path));

    private Torrent(in InfoSection info, OuterSection outer)
    {
        InfoHash = info.InfoHash;
        InfoBytes = info.InfoBytes;
        Name = info.Name;
        PieceLength = info.PieceLength;
        PieceHashes = info.PieceHashes;
        PieceCount = info.PieceHashes.Length / PieceHashSize;
        TotalLength = info.TotalLength;
        IsMultiFile = info.IsMultiFile;
        IsPrivate = info.IsPrivate;
        Files = info.Files;
        BlockRoots = info.BlockRoots;
        Announce = outer.Announce;
        AnnounceList = outer.AnnounceList;
        Comment = outer.Comment;
        CreatedBy = outer.CreatedBy;
        CreationDate = outer.CreationDate;
        LogicalSectorSize = outer.LogicalSectorSize;
        WebSeeds = outer.WebSeeds;
    }
}

public sealed class TorrentFormatException : FormatException
{
    public TorrentFormatException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
