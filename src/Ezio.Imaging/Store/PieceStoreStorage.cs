using Ezio.BitTorrent.Compression;
using Ezio.BitTorrent.Storage;

namespace Ezio.Imaging.Store;

/// <summary>
/// Seeds a torrent straight from pieces.ezp: reads decompress the pieces they touch, keeping the
/// few most recently used pieces decompressed (peers usually ask for the blocks of one piece in
/// a row). Read-only: <see cref="Write"/> throws.
/// </summary>
/// <remarks>
/// Thread-safe for concurrent reads: the cache is guarded by a lock, decompression runs outside
/// it, and cached buffers are never modified after insertion (an evicted buffer is simply
/// dropped, so a reader still copying from it is unaffected).
/// </remarks>
public sealed class PieceStoreStorage : ITorrentStorage, ICompressedPieceSource
{
    private readonly PieceStore _store;
    private readonly int _capacity;
    private readonly LinkedList<(int Piece, byte[] Data)> _recent = new();
    private readonly Lock _lock = new();

    public PieceStoreStorage(PieceStore store, int cachedPieces = 4)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfLessThan(cachedPieces, 1);
        _store = store;
        _capacity = cachedPieces;
    }

    /// <summary>Opens pieces.ezp in <paramref name="imageDirectory"/>.</summary>
    public static PieceStoreStorage Open(string imageDirectory) =>
        new(PieceStore.Open(Path.Combine(imageDirectory, EzioImage.PieceStoreFileName)));

    public PieceStore Store => _store;

    public long Length => _store.TotalLength;

    public bool MayHaveData => true;

    public void Read(long offset, Span<byte> destination)
    {
        if (offset < 0 || offset + destination.Length > Length)
        {
            throw new StorageException($"Read of {destination.Length} bytes at {offset} is outside the {Length}-byte torrent.");
        }
        while (!destination.IsEmpty)
        {
            int piece = (int)(offset / _store.PieceLength);
            int within = (int)(offset - (long)piece * _store.PieceLength);
            byte[] data = GetPiece(piece);
            int n = Math.Min(destination.Length, data.Length - within);
            data.AsSpan(within, n).CopyTo(destination);
            destination = destination[n..];
            offset += n;
        }
    }

    /// <summary>Hands a peer the stored frame as it is: the seeder spends no CPU compressing.</summary>
    public bool TryReadCompressed(int index, ref byte[] destination, out int length, out PieceEncoding encoding)
    {
        length = _store.ReadStored(index, ref destination, out StoredPieceKind kind);
        encoding = kind switch
        {
            StoredPieceKind.Zero => PieceEncoding.Zero,
            StoredPieceKind.Raw => PieceEncoding.Raw,
            _ => PieceEncoding.Zstd,
        };
        return true;
    }

    public void Write(long offset, ReadOnlySpan<byte> data) =>
        throw new StorageException("An image's piece store is read-only.");

    public void Flush()
    {
    }

    public void Dispose() => _store.Dispose();

    private byte[] GetPiece(int piece)
    {
        lock (_lock)
        {
            for (LinkedListNode<(int Piece, byte[] Data)>? node = _recent.First; node is not null; node = node.Next)
            {
                if (node.Value.Piece == piece)
                {
                    _recent.Remove(node);
                    _recent.AddFirst(node);
                    return node.Value.Data;
                }
            }
        }
        var data = GC.AllocateUninitializedArray<byte>(_store.LengthOf(piece));
        try
        {
            _store.ReadPiece(piece, data);
        }
        catch (ImageException e)
        {
            throw new StorageException($"Cannot read piece {piece} from the piece store: {e.Message}", e);
        }
        lock (_lock)
        {
            _recent.AddFirst((piece, data));
            while (_recent.Count > _capacity)
            {
                _recent.RemoveLast();
            }
        }
        return data;
    }
}
