using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Ezio.BitTorrent.Metainfo;

public static partial class TorrentBuilder
{
    // Bytes read per batch. Two batches are alive at once (one being read, one being hashed),
    // so memory stays near 2 x max(BatchBytes, piece length) whatever the input size.
    private const int BatchBytes = 64 * 1024 * 1024;

    /// <summary>
    /// SHA-1 of every piece of the byte stream <paramref name="read"/> produces. The stream is read
    /// sequentially on the calling thread in whole-piece batches; while batch k+1 is read, the
    /// pieces of batch k are hashed in parallel. When <paramref name="roots"/> is not null it is
    /// replaced by every piece's block root (<see cref="BlockHashes"/>).
    /// </summary>
    internal static byte[] HashPieces(long total, int pieceLength, Action<long, Span<byte>> read, CancellationToken cancellationToken, ref byte[]? roots)
    {
        long pieceCountLong = total / pieceLength + (total % pieceLength == 0 ? 0 : 1);
        if (pieceCountLong > Array.MaxLength / Torrent.PieceHashSize)
        {
            throw new ArgumentException($"{total} bytes in pieces of {pieceLength} is too many pieces.");
        }
        int pieceCount = (int)pieceCountLong;
        byte[] hashes = new byte[pieceCount * Torrent.PieceHashSize];
        if (roots is not null)
        {
            roots = new byte[pieceCount * BlockHashes.HashSize];
        }
        byte[]? rootsOut = roots;
        int piecesPerBatch = Math.Max(1, BatchBytes / pieceLength);
        int bufferSize = (int)Math.Min((long)piecesPerBatch * pieceLength, total);
        byte[][] buffers = pieceCount > piecesPerBatch
            ? [GC.AllocateUninitializedArray<byte>(bufferSize), GC.AllocateUninitializedArray<byte>(bufferSize)]
            : [GC.AllocateUninitializedArray<byte>(bufferSize)];

        Task? hashing = null;
        try
        {
            for (int first = 0, batch = 0; first < pieceCount; first += piecesPerBatch, batch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int count = Math.Min(piecesPerBatch, pieceCount - first);
                long offset = (long)first * pieceLength;
                int length = (int)Math.Min((long)count * pieceLength, total - offset);
                byte[] buffer = buffers[batch % buffers.Length];
                // The task that last used this buffer (batch - 2) was awaited before batch - 1 started.
                read(offset, buffer.AsSpan(0, length));
                hashing?.GetAwaiter().GetResult();
                int batchFirst = first;
                hashing = count == 1
                    ? HashBatchInline(buffer, length, batchFirst, count, pieceLength, hashes, rootsOut)
                    : Task.Run(() => HashBatch(buffer, length, batchFirst, count, pieceLength, hashes, rootsOut, cancellationToken), cancellationToken);
            }
            hashing?.GetAwaiter().GetResult();
        }
        catch
        {
            // Let an in-flight hash finish before the buffers go back to the caller's GC; ignore its fate.
            hashing?.ContinueWith(static _ => { }, TaskScheduler.Default).Wait(CancellationToken.None);
            throw;
        }
        return hashes;
    }

    private static Task HashBatchInline(byte[] buffer, int length, int first, int count, int pieceLength, byte[] hashes, byte[]? roots)
    {
        HashBatch(buffer, length, first, count, pieceLength, hashes, roots, CancellationToken.None);
        return Task.CompletedTask;
    }

    private static void HashBatch(byte[] buffer, int length, int first, int count, int pieceLength, byte[] hashes,
        byte[]? roots, CancellationToken cancellationToken)
    {
        var parallel = new ParallelOptions { CancellationToken = cancellationToken };
        Parallel.For(0, count, parallel, i =>
        {
            int start = i * pieceLength;
            int size = Math.Min(pieceLength, length - start);
            SHA1.HashData(buffer.AsSpan(start, size), hashes.AsSpan((first + i) * Torrent.PieceHashSize, Torrent.PieceHashSize));
            if (roots is not null)
            {
                BlockHashes.ComputeRoot(buffer.AsSpan(start, size), roots.AsSpan((first + i) * BlockHashes.HashSize, BlockHashes.HashSize));
            }
        });
    }

    /// <summary>
    /// Reads the concatenation of files by torrent offset. One handle is open at a time: reads
    /// arrive in ascending order, so a directory of many files never exhausts descriptors.
    /// </summary>
    private sealed class FileSource : IDisposable
    {
        private readonly Entry[] _entries;
        private readonly long[] _offsets;
        private SafeFileHandle? _handle;
        private int _handleIndex = -1;

        public FileSource(Entry[] entries)
        {
            _entries = entries;
            _offsets = new long[entries.Length];
            long offset = 0;
            for (int i = 0; i < entries.Length; i++)
            {
                _offsets[i] = offset;
                offset += entries[i].Length;
            }
        }

        public readonly record struct Entry(string Path, long Length);

        public void Read(long offset, Span<byte> destination)
        {
            int index = Array.BinarySearch(_offsets, offset);
            index = index >= 0 ? index : ~index - 1;
            while (destination.Length > 0)
            {
                // Skips empty files, whose offset equals the next file's.
                while (index < _entries.Length && offset >= _offsets[index] + _entries[index].Length)
                {
                    index++;
                }
                if (index >= _entries.Length)
                {
                    throw new IOException("Read past the end of the files being hashed.");
                }
                Entry entry = _entries[index];
                long inFile = offset - _offsets[index];
                int chunk = (int)Math.Min(destination.Length, entry.Length - inFile);
                SafeFileHandle handle = OpenHandle(index);
                int done = 0;
                while (done < chunk)
                {
                    int n = RandomAccess.Read(handle, destination.Slice(done, chunk - done), inFile + done);
                    if (n == 0)
                    {
                        throw new IOException($"'{entry.Path}' became shorter while it was being hashed.");
                    }
                    done += n;
                }
                destination = destination[chunk..];
                offset += chunk;
            }
        }

        public void Dispose() => _handle?.Dispose();

        private SafeFileHandle OpenHandle(int index)
        {
            if (_handleIndex != index)
            {
                _handle?.Dispose();
                _handle = null;
                _handle = File.OpenHandle(_entries[index].Path, FileMode.Open, FileAccess.Read, FileShare.Read,
                    FileOptions.SequentialScan);
                _handleIndex = index;
            }
            return _handle!;
        }
    }
}
