using System.Security.Cryptography;

namespace Ezio.BitTorrent.Metainfo;

/// <summary>
/// Per-block hashes of a piece, for relaying blocks before their piece is whole: the SHA-256
/// of each 16 KiB block (the piece's block list), and the SHA-256 of that list (the piece's
/// root, which an Ezio torrent keeps in its info dictionary as "ezio block roots", so the
/// info-hash covers it). A peer checks a block list against its root once, then each block
/// against the list.
/// </summary>
public static class BlockHashes
{
    /// <summary>One BEP 3 request block.</summary>
    public const int BlockSize = 16 * 1024;

    /// <summary>One SHA-256.</summary>
    public const int HashSize = 32;

    /// <summary>Blocks in a piece of <paramref name="pieceSize"/> bytes (the last may be short).</summary>
    public static int Count(int pieceSize) => (pieceSize + BlockSize - 1) / BlockSize;

    /// <summary>Bytes of the block list of a piece of <paramref name="pieceSize"/> bytes.</summary>
    public static int ListLength(int pieceSize) => Count(pieceSize) * HashSize;

    /// <summary>Writes the block list of <paramref name="piece"/> (exactly the piece's bytes) into <paramref name="list"/>.</summary>
    public static void ComputeList(ReadOnlySpan<byte> piece, Span<byte> list)
    {
        var count = Count(piece.Length);
        if (list.Length != count * HashSize)
        {
            throw new ArgumentException($"a piece of {piece.Length} bytes has a block list of {count * HashSize} bytes, not {list.Length}.", nameof(list));
        }
        for (var i = 0; i < count; i++)
        {
            var start = i * BlockSize;
            SHA256.HashData(piece.Slice(start, Math.Min(BlockSize, piece.Length - start)), list.Slice(i * HashSize, HashSize));
        }
    }

    /// <summary>Writes the root of <paramref name="piece"/> (the SHA-256 of its block list) into <paramref name="root"/>.</summary>
    public static void ComputeRoot(ReadOnlySpan<byte> piece, Span<byte> root)
    {
        var list = new byte[ListLength(piece.Length)];
        ComputeList(piece, list);
        SHA256.HashData(list, root);
    }

    /// <summary>True when block <paramref name="block"/> of a piece matches its entry in <paramref name="list"/>.</summary>
    public static bool Matches(ReadOnlySpan<byte> list, int block, ReadOnlySpan<byte> data)
    {
        if ((block + 1) * HashSize > list.Length)
        {
            return false;
        }
        Span<byte> hash = stackalloc byte[HashSize];
        SHA256.HashData(data, hash);
        return hash.SequenceEqual(list.Slice(block * HashSize, HashSize));
    }
}
