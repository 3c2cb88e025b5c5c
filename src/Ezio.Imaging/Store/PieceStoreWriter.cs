using System.Security.Cryptography;
using Ezio.BitTorrent.Metainfo;
using Ezio.Imaging.Interop;
using Microsoft.Win32.SafeHandles;

namespace Ezio.Imaging.Store;

/// <summary>
/// Writes pieces.ezp (layout in PieceStoreFormat.cs) while hashing each piece with SHA-1.
/// Pieces arrive in order; each is compressed on its own, kept raw when zstd does not shrink
/// it, and only marked when it is all zeros. Single-threaded: the caller owns the order.
/// </summary>
internal sealed class PieceStoreWriter : IDisposable
{
    private readonly SafeFileHandle _file;
    private readonly int _pieceLength;
    private readonly long _totalLength;
    private readonly int _level;
    private readonly StoredPiece[] _index;
    private readonly byte[] _hashes;
    private readonly byte[] _compressed;
    private long _position = PieceStoreFormat.HeaderLength;
    private int _next;

    public PieceStoreWriter(string path, int pieceLength, long totalLength, int level = 3)
    {
        _pieceLength = pieceLength;
        _totalLength = totalLength;
        _level = level;
        long count = (totalLength + pieceLength - 1) / pieceLength;
        _index = new StoredPiece[count];
        _hashes = new byte[count * Torrent.PieceHashSize];
        _compressed = GC.AllocateUninitializedArray<byte>(Zstd.CompressBound(pieceLength));
        _file = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        // A zero header (index offset 0) marks the store as unfinished until Complete.
        RandomAccess.Write(_file, new byte[PieceStoreFormat.HeaderLength], 0);
    }

    public int PieceCount => _index.Length;

    /// <summary>Concatenated SHA-1 hashes of the pieces written so far.</summary>
    public ReadOnlySpan<byte> Hashes => _hashes;

    public long StoredBytes => _position;

    /// <summary>Adds the next piece (full length except the last).</summary>
    public void Add(ReadOnlySpan<byte> piece)
    {
        int expected = (int)Math.Min(_pieceLength, _totalLength - (long)_next * _pieceLength);
        if (_next >= _index.Length || piece.Length != expected)
        {
            throw new InvalidOperationException($"Piece {_next} has {piece.Length} bytes where {expected} were expected.");
        }
        SHA1.HashData(piece, _hashes.AsSpan(_next * Torrent.PieceHashSize, Torrent.PieceHashSize));
        if (!piece.ContainsAnyExcept((byte)0))
        {
            _index[_next++] = new StoredPiece(0, 0, StoredPieceKind.Zero);
            return;
        }
        int compressed = Zstd.Compress(piece, _compressed, _level);
        StoredPiece entry;
        if (compressed > 0 && compressed < piece.Length)
        {
            RandomAccess.Write(_file, _compressed.AsSpan(0, compressed), _position);
            entry = new StoredPiece(_position, compressed, StoredPieceKind.Zstd);
        }
        else
        {
            RandomAccess.Write(_file, piece, _position);
            entry = new StoredPiece(_position, piece.Length, StoredPieceKind.Raw);
        }
        _position += entry.Length;
        _index[_next++] = entry;
    }

    /// <summary>Writes the index and the final header, then syncs.</summary>
    public void Complete(ReadOnlySpan<byte> infoHash)
    {
        if (_next != _index.Length)
        {
            throw new InvalidOperationException($"Only {_next} of {_index.Length} pieces were written.");
        }
        var index = new byte[_index.Length * PieceStoreFormat.EntryLength + 4];
        for (int i = 0; i < _index.Length; i++)
        {
            PieceStoreFormat.WriteEntry(index.AsSpan(i * PieceStoreFormat.EntryLength), _index[i]);
        }
        System.IO.Hashing.Crc32.Hash(index.AsSpan(0, index.Length - 4), index.AsSpan(index.Length - 4));
        long indexOffset = _position;
        RandomAccess.Write(_file, index, indexOffset);
        _position += index.Length;
        var header = new byte[PieceStoreFormat.HeaderLength];
        PieceStoreFormat.WriteHeader(header, new PieceStoreFormat.Header(_pieceLength, _index.Length, _totalLength, indexOffset, infoHash.ToArray()));
        RandomAccess.Write(_file, header, 0);
        RandomAccess.FlushToDisk(_file);
    }

    public void Dispose() => _file.Dispose();
}
