using System.Buffers.Binary;
using Ezio.Imaging.Interop;
using Microsoft.Win32.SafeHandles;

namespace Ezio.Imaging.Store;

/// <summary>
/// Random read access to pieces.ezp (layout in PieceStoreFormat.cs). Thread-safe: every read is
/// a pread on a shared handle into the caller's buffers.
/// </summary>
public sealed class PieceStore : IDisposable
{
    private readonly SafeFileHandle _file;
    private readonly StoredPiece[] _index;

    private PieceStore(SafeFileHandle file, PieceStoreFormat.Header header, StoredPiece[] index)
    {
        _file = file;
        _index = index;
        PieceLength = header.PieceLength;
        TotalLength = header.TotalLength;
        InfoHash = header.InfoHash;
    }

    public int PieceLength { get; }

    public int PieceCount => _index.Length;

    public long TotalLength { get; }

    /// <summary>The SHA-1 info-hash of the torrent the store was written for (20 bytes).</summary>
    public ReadOnlyMemory<byte> InfoHash { get; }

    public StoredPiece this[int piece] => _index[piece];

    public int LengthOf(int piece) => (int)Math.Min(PieceLength, TotalLength - (long)piece * PieceLength);

    public static PieceStore Open(string path)
    {
        SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            long fileLength = RandomAccess.GetLength(file);
            var head = new byte[PieceStoreFormat.HeaderLength];
            if (RandomAccess.Read(file, head, 0) != head.Length)
            {
                throw new ImageException(ImageError.Malformed, $"{path} is too short for a piece store.");
            }
            PieceStoreFormat.Header header = PieceStoreFormat.ReadHeader(head);
            long indexLength = (long)header.PieceCount * PieceStoreFormat.EntryLength + 4;
            if (header.IndexOffset + indexLength != fileLength)
            {
                throw new ImageException(ImageError.Malformed, $"{path}: the index does not end the file.");
            }
            var raw = new byte[indexLength];
            RandomAccess.Read(file, raw, header.IndexOffset);
            uint crc = System.IO.Hashing.Crc32.HashToUInt32(raw.AsSpan(0, raw.Length - 4));
            if (crc != BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(raw.Length - 4)))
            {
                throw new ImageException(ImageError.Malformed, $"{path}: the index CRC does not match.");
            }
            var index = new StoredPiece[header.PieceCount];
            for (int i = 0; i < index.Length; i++)
            {
                StoredPiece entry = PieceStoreFormat.ReadEntry(raw.AsSpan(i * PieceStoreFormat.EntryLength));
                int length = (int)Math.Min(header.PieceLength, header.TotalLength - (long)i * header.PieceLength);
                bool valid = entry.Kind switch
                {
                    StoredPieceKind.Zero => true,
                    StoredPieceKind.Raw => entry.Length == length,
                    StoredPieceKind.Zstd => entry.Length > 0,
                    _ => false,
                };
                if (!valid || (entry.Kind != StoredPieceKind.Zero &&
                    (entry.Offset < PieceStoreFormat.HeaderLength || entry.Offset + entry.Length > header.IndexOffset)))
                {
                    throw new ImageException(ImageError.Malformed, $"{path}: index entry {i} is invalid.");
                }
                index[i] = entry;
            }
            return new PieceStore(file, header, index);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads piece <paramref name="piece"/> into <paramref name="destination"/> (exactly its length).</summary>
    public void ReadPiece(int piece, Span<byte> destination)
    {
        StoredPiece entry = _index[piece];
        int length = LengthOf(piece);
        if (destination.Length != length)
        {
            throw new ArgumentException($"Piece {piece} has {length} bytes, not {destination.Length}.", nameof(destination));
        }
        switch (entry.Kind)
        {
            case StoredPieceKind.Zero:
                destination.Clear();
                break;
            case StoredPieceKind.Raw:
                ReadExactly(entry.Offset, destination);
                break;
            default:
                byte[] frame = System.Buffers.ArrayPool<byte>.Shared.Rent(entry.Length);
                try
                {
                    ReadExactly(entry.Offset, frame.AsSpan(0, entry.Length));
                    Zstd.Decompress(frame.AsSpan(0, entry.Length), destination);
                }
                catch (InvalidDataException e)
                {
                    throw new ImageException(ImageError.Malformed, $"Piece {piece}: {e.Message}", e);
                }
                finally
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(frame);
                }
                break;
        }
    }

    /// <summary>
    /// Copies piece <paramref name="piece"/> as stored (a zstd frame, raw bytes, or nothing for
    /// a zero piece) into <paramref name="destination"/>, growing it when too small.
    /// </summary>
    public int ReadStored(int piece, ref byte[] destination, out StoredPieceKind kind)
    {
        StoredPiece entry = _index[piece];
        kind = entry.Kind;
        if (entry.Kind == StoredPieceKind.Zero)
        {
            return 0;
        }
        if (destination.Length < entry.Length)
        {
            destination = new byte[entry.Length];
        }
        ReadExactly(entry.Offset, destination.AsSpan(0, entry.Length));
        return entry.Length;
    }

    public void Dispose() => _file.Dispose();

    private void ReadExactly(long offset, Span<byte> destination)
    {
        int done = 0;
        while (done < destination.Length)
        {
            int n = RandomAccess.Read(_file, destination[done..], offset + done);
            if (n == 0)
            {
                throw new ImageException(ImageError.Malformed, $"The piece store ends at {offset + done}.");
            }
            done += n;
        }
    }
}
