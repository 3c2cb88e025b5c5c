using System.Buffers.Binary;
using System.IO.Hashing;

namespace Ezio.Imaging.Store;

// pieces.ezp: every piece of one torrent, each compressed on its own, with an index so that any
// piece is one pread away. Little-endian throughout.
//
//   0                                                                            64
//   +--------+-----+--------+-------+-----+--------+---------+-----------+------+
//   |"EZIOPCS"|ver |piece   |piece  |flags|total   |index    |info-hash  |CRC32 |
//   | + NUL 8 |u32 |len u32 |count  |u32  |len u64 |off u64  |20 bytes   |0..59 |
//   +--------+-----+--------+-------+-----+--------+---------+-----------+------+
//   | blobs: piece 0, piece 1, … (zstd frame or raw bytes; zero pieces have none) |
//   +---------------------------------------------------------------------------+ index offset
//   | index: piece count x 16 bytes                                             |
//   |   +------------+-------------+------+-----+                               |
//   |   |offset u64  |length u32   |kind  |pad 3|   kind: 0 raw, 1 zstd, 2 zero  |
//   |   +------------+-------------+------+-----+                               |
//   | CRC32 (IEEE) of the index bytes, u32                                       |
//   +---------------------------------------------------------------------------+
//
// The writer streams blobs, then appends the index and rewrites the header (index offset and
// info-hash are known only at the end), so a half-written store has a zero index offset and is
// refused. Raw pieces have exactly the piece's length; zstd frames carry their content size.

/// <summary>How one piece is stored.</summary>
public enum StoredPieceKind : byte
{
    Raw = 0,
    Zstd = 1,
    Zero = 2,
}

/// <summary>One index entry of pieces.ezp.</summary>
public readonly record struct StoredPiece(long Offset, int Length, StoredPieceKind Kind);

internal static class PieceStoreFormat
{
    public const int HeaderLength = 64;
    public const int EntryLength = 16;
    public const int Version = 1;
    public static ReadOnlySpan<byte> Magic => "EZIOPCS\0"u8;

    public readonly record struct Header(int PieceLength, int PieceCount, long TotalLength, long IndexOffset, byte[] InfoHash);

    public static void WriteHeader(Span<byte> b, Header h)
    {
        b[..HeaderLength].Clear();
        Magic.CopyTo(b);
        BinaryPrimitives.WriteInt32LittleEndian(b[8..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(b[12..], h.PieceLength);
        BinaryPrimitives.WriteInt32LittleEndian(b[16..], h.PieceCount);
        BinaryPrimitives.WriteInt64LittleEndian(b[24..], h.TotalLength);
        BinaryPrimitives.WriteInt64LittleEndian(b[32..], h.IndexOffset);
        h.InfoHash.CopyTo(b[40..60]);
        BinaryPrimitives.WriteUInt32LittleEndian(b[60..], Crc32.HashToUInt32(b[..60]));
    }

    public static Header ReadHeader(ReadOnlySpan<byte> b)
    {
        if (b.Length < HeaderLength || !b[..8].SequenceEqual(Magic))
        {
            throw new ImageException(ImageError.Malformed, "Not an Ezio piece store (magic EZIOPCS missing).");
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(b[60..]) != Crc32.HashToUInt32(b[..60]))
        {
            throw new ImageException(ImageError.Malformed, "The piece store header CRC does not match.");
        }
        int version = BinaryPrimitives.ReadInt32LittleEndian(b[8..]);
        if (version != Version)
        {
            throw new ImageException(ImageError.NotSupported, $"Piece store version {version} is not supported.");
        }
        var h = new Header(
            BinaryPrimitives.ReadInt32LittleEndian(b[12..]),
            BinaryPrimitives.ReadInt32LittleEndian(b[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(b[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(b[32..]),
            b[40..60].ToArray());
        long expectedCount = h.PieceLength <= 0 ? -1 : (h.TotalLength + h.PieceLength - 1) / h.PieceLength;
        if (h.PieceLength <= 0 || h.TotalLength <= 0 || h.PieceCount != expectedCount || h.IndexOffset < HeaderLength)
        {
            throw new ImageException(ImageError.Malformed, "The piece store header is inconsistent (or the store was never completed).");
        }
        return h;
    }

    public static void WriteEntry(Span<byte> b, StoredPiece piece)
    {
        BinaryPrimitives.WriteInt64LittleEndian(b, piece.Offset);
        BinaryPrimitives.WriteInt32LittleEndian(b[8..], piece.Length);
        b[12] = (byte)piece.Kind;
        b[13..16].Clear();
    }

    public static StoredPiece ReadEntry(ReadOnlySpan<byte> b) =>
        new(BinaryPrimitives.ReadInt64LittleEndian(b), BinaryPrimitives.ReadInt32LittleEndian(b[8..]), (StoredPieceKind)b[12]);
}
