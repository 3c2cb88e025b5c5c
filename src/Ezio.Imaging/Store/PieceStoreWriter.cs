using System.Collections.Concurrent;
using System.Security.Cryptography;
using Ezio.BitTorrent.Metainfo;
using Ezio.Imaging.Interop;
using Microsoft.Win32.SafeHandles;

namespace Ezio.Imaging.Store;

/// <summary>
/// Writes pieces.ezp (layout in PieceStoreFormat.cs) while hashing each piece with SHA-1.
/// Pieces arrive in order; each is compressed on its own, kept raw when zstd does not shrink
/// it, and only marked when it is all zeros.
/// </summary>
/// <remarks>
/// Hashing and compression run on the thread pool, several pieces at once (one per core, at
/// most <c>ProcessorCount + 1</c> in flight, so memory stays bounded), while blobs are written
/// strictly in piece order by the calling thread. Buffer ownership: <see cref="RentBuffer"/>
/// hands out a piece-sized buffer; <see cref="Add(byte[], int)"/> takes it back, and the caller
/// must not touch it afterwards. The writer itself is used by one thread.
/// </remarks>
internal sealed class PieceStoreWriter : IDisposable
{
    private readonly SafeFileHandle _file;
    private readonly int _pieceLength;
    private readonly long _totalLength;
    private readonly int _level;
    private readonly StoredPiece[] _index;
    private readonly byte[] _hashes;
    private readonly byte[] _roots;
    private readonly int _maxInFlight;
    private readonly Queue<Task<Encoded>> _inFlight = new();
    private readonly ConcurrentBag<byte[]> _freePieces = [];
    private readonly ConcurrentBag<byte[]> _freeCompressed = [];
    private long _position = PieceStoreFormat.HeaderLength;
    private int _queued;
    private int _written;

    public PieceStoreWriter(string path, int pieceLength, long totalLength, int level = 3, int parallelism = 0)
    {
        _pieceLength = pieceLength;
        _totalLength = totalLength;
        _level = level;
        long count = (totalLength + pieceLength - 1) / pieceLength;
        _index = new StoredPiece[count];
        _hashes = new byte[count * Torrent.PieceHashSize];
        _roots = new byte[count * BlockHashes.HashSize];
        _maxInFlight = (parallelism > 0 ? parallelism : Environment.ProcessorCount) + 1;
        _file = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        // A zero header (index offset 0) marks the store as unfinished until Complete.
        RandomAccess.Write(_file, new byte[PieceStoreFormat.HeaderLength], 0);
    }

    public int PieceCount => _index.Length;

    /// <summary>Concatenated SHA-1 hashes of the pieces (complete after <see cref="Flush"/> or <see cref="Complete"/>).</summary>
    public ReadOnlySpan<byte> Hashes => _hashes;

    /// <summary>Every piece's block root, "ezio block roots" (complete when <see cref="Hashes"/> is).</summary>
    public ReadOnlyMemory<byte> BlockRoots => _roots;

    public long StoredBytes => _position;

    /// <summary>A buffer of one piece length for the next <see cref="Add(byte[], int)"/>.</summary>
    public byte[] RentBuffer() => _freePieces.TryTake(out byte[]? buffer) ? buffer : GC.AllocateUninitializedArray<byte>(_pieceLength);

    /// <summary>Adds the next piece by copying it (full length except the last).</summary>
    public void Add(ReadOnlySpan<byte> piece)
    {
        byte[] buffer = RentBuffer();
        piece.CopyTo(buffer);
        Add(buffer, piece.Length);
    }

    /// <summary>Adds the next piece, taking ownership of <paramref name="buffer"/> (from <see cref="RentBuffer"/>).</summary>
    public void Add(byte[] buffer, int length)
    {
        int index = _queued;
        int expected = (int)Math.Min(_pieceLength, _totalLength - (long)index * _pieceLength);
        if (index >= _index.Length || length != expected)
        {
            throw new InvalidOperationException($"Piece {index} has {length} bytes where {expected} were expected.");
        }
        _queued++;
        _inFlight.Enqueue(Task.Run(() => Encode(index, buffer, length)));
        while (_inFlight.Count >= _maxInFlight)
        {
            WriteOldest();
        }
    }

    /// <summary>Waits for every queued piece and writes it.</summary>
    public void Flush()
    {
        while (_inFlight.Count > 0)
        {
            WriteOldest();
        }
    }

    /// <summary>Writes the index and the final header, then syncs.</summary>
    public void Complete(ReadOnlySpan<byte> infoHash)
    {
        Flush();
        if (_written != _index.Length)
        {
            throw new InvalidOperationException($"Only {_written} of {_index.Length} pieces were written.");
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

    public void Dispose()
    {
        // Let workers finish with their buffers before the file goes away; their errors no
        // longer matter (the build already failed or completed).
        foreach (Task<Encoded> task in _inFlight)
        {
            try
            {
                task.Wait();
            }
            catch (AggregateException)
            {
            }
        }
        _inFlight.Clear();
        _file.Dispose();
    }

    private Encoded Encode(int index, byte[] piece, int length)
    {
        ReadOnlySpan<byte> data = piece.AsSpan(0, length);
        // Each piece owns its own 20-byte slot of _hashes, so workers never share bytes.
        SHA1.HashData(data, _hashes.AsSpan(index * Torrent.PieceHashSize, Torrent.PieceHashSize));
        BlockHashes.ComputeRoot(data, _roots.AsSpan(index * BlockHashes.HashSize, BlockHashes.HashSize));
        if (!data.ContainsAnyExcept((byte)0))
        {
            return new Encoded(StoredPieceKind.Zero, piece, null, 0);
        }
        byte[] compressed = _freeCompressed.TryTake(out byte[]? c) ? c : GC.AllocateUninitializedArray<byte>(Zstd.CompressBound(_pieceLength));
        int size = Zstd.Compress(data, compressed, _level);
        if (size > 0 && size < length)
        {
            return new Encoded(StoredPieceKind.Zstd, piece, compressed, size);
        }
        _freeCompressed.Add(compressed);
        return new Encoded(StoredPieceKind.Raw, piece, null, length);
    }

    private void WriteOldest()
    {
        Encoded e = _inFlight.Dequeue().GetAwaiter().GetResult();
        StoredPiece entry = e.Kind switch
        {
            StoredPieceKind.Zero => new StoredPiece(0, 0, StoredPieceKind.Zero),
            _ => new StoredPiece(_position, e.Length, e.Kind),
        };
        if (e.Kind != StoredPieceKind.Zero)
        {
            ReadOnlySpan<byte> blob = (e.Compressed ?? e.Piece).AsSpan(0, e.Length);
            RandomAccess.Write(_file, blob, _position);
            _position += e.Length;
        }
        _index[_written++] = entry;
        if (e.Piece.Length == _pieceLength)
        {
            _freePieces.Add(e.Piece);
        }
        if (e.Compressed is not null)
        {
            _freeCompressed.Add(e.Compressed);
        }
    }

    /// <summary>A piece after the worker: its kind, the buffers it still holds, and the blob length.</summary>
    private readonly record struct Encoded(StoredPieceKind Kind, byte[] Piece, byte[]? Compressed, int Length);
}
