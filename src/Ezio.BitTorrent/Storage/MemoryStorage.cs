namespace Ezio.BitTorrent.Storage;

/// <summary>
/// A torrent held in memory: tests, swarms in one process, and small seeds.
/// </summary>
/// <remarks>
/// Bytes live in fixed-size chunks so a torrent larger than the 2 GiB array limit still fits.
/// Every chunk is allocated up front and never replaced, so concurrent reads need no lock; a
/// read racing the write of the same piece may see a mix of old and new bytes, which is fine
/// because the engine only serves pieces it has already written and verified.
/// </remarks>
public sealed class MemoryStorage : ITorrentStorage
{
    internal const int DefaultChunkSize = 1 << 26;

    private readonly byte[][] _chunks;
    private readonly int _chunkSize;
    private bool _disposed;

    /// <summary>Creates zero-filled storage of <paramref name="length"/> bytes.</summary>
    public MemoryStorage(long length, bool mayHaveData = false)
        : this(length, mayHaveData, DefaultChunkSize)
    {
    }

    internal MemoryStorage(long length, bool mayHaveData, int chunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        Length = length;
        MayHaveData = mayHaveData;
        _chunkSize = chunkSize;
        long count = (length + chunkSize - 1) / chunkSize;
        _chunks = new byte[count][];
        for (long i = 0; i < count; i++)
        {
            long size = Math.Min(chunkSize, length - i * chunkSize);
            _chunks[i] = new byte[size];
        }
    }

    /// <summary>Creates storage holding a copy of <paramref name="data"/> (a complete seed by default).</summary>
    public static MemoryStorage FromBytes(ReadOnlySpan<byte> data, bool mayHaveData = true)
    {
        var storage = new MemoryStorage(data.Length, mayHaveData);
        storage.Write(0, data);
        return storage;
    }

    public long Length { get; }

    public bool MayHaveData { get; }

    public void Read(long offset, Span<byte> destination)
    {
        CheckRange(offset, destination.Length);
        while (!destination.IsEmpty)
        {
            int index = (int)(offset / _chunkSize);
            int within = (int)(offset % _chunkSize);
            int count = Math.Min(destination.Length, _chunks[index].Length - within);
            _chunks[index].AsSpan(within, count).CopyTo(destination);
            destination = destination[count..];
            offset += count;
        }
    }

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        CheckRange(offset, data.Length);
        while (!data.IsEmpty)
        {
            int index = (int)(offset / _chunkSize);
            int within = (int)(offset % _chunkSize);
            int count = Math.Min(data.Length, _chunks[index].Length - within);
            data[..count].CopyTo(_chunks[index].AsSpan(within, count));
            data = data[count..];
            offset += count;
        }
    }

    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
    }

    public void Dispose() => _disposed = true;

    private void CheckRange(long offset, int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (offset < 0 || offset > Length - count)
        {
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"Range {offset}+{count} lies outside the torrent (length {Length}).");
        }
    }
}
