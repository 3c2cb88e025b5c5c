using System.Numerics;

namespace Ezio.BitTorrent.Metainfo;

public static partial class TorrentBuilder
{
    /// <summary>
    /// Builds a torrent from piece hashes computed elsewhere (for example while streaming an image
    /// once). <paramref name="pieceHashes"/> is the concatenated SHA-1 of every piece of the
    /// files' concatenation; its length must match the total and <paramref name="pieceLength"/>.
    /// Files follow the same rules as <see cref="Create(string, IReadOnlyList{ValueTuple{IReadOnlyList{string}, long}}, Action{long, Span{byte}}, TorrentBuildOptions, CancellationToken)"/>.
    /// </summary>
    public static byte[] CreateFromHashes(string name, IReadOnlyList<(IReadOnlyList<string> PathSegments, long Length)> files,
        int pieceLength, ReadOnlySpan<byte> pieceHashes, TorrentBuildOptions options)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(options);
        bool multiFile = !(files.Count == 1 && files[0].PathSegments.Count == 0);
        string finalName = options.Name ?? name;
        long total = ValidateLayout(finalName, files, multiFile);
        if (pieceLength < MinPieceLength || pieceLength > Torrent.MaxPieceLength || !BitOperations.IsPow2(pieceLength))
        {
            throw new ArgumentException(
                $"Piece length {pieceLength} is not a power of two from {MinPieceLength} to {Torrent.MaxPieceLength}.",
                nameof(pieceLength));
        }
        long pieceCount = (total + pieceLength - 1) / pieceLength;
        if (pieceHashes.Length != pieceCount * Torrent.PieceHashSize)
        {
            throw new ArgumentException(
                $"{total} bytes in pieces of {pieceLength} need {pieceCount} hashes, not {pieceHashes.Length / (double)Torrent.PieceHashSize}.",
                nameof(pieceHashes));
        }
        return Write(finalName, files, multiFile, total, pieceLength, pieceHashes.ToArray(), options.BlockRoots, options);
    }
}
