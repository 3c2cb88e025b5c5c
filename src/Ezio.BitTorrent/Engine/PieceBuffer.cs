using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// A piece-sized block of native memory aligned to 4096 bytes, so a verified piece can go to
/// a direct-I/O disk without another copy.
/// </summary>
/// <remarks>
/// Ownership: a buffer belongs to exactly one holder at a time — the pool, a download being
/// filled by one peer's receive loop, or the disk writer. Handing it on is a move: the old
/// holder forgets it. Only the pool frees the memory (on <see cref="PieceBufferPool.Dispose"/>).
/// </remarks>
internal sealed unsafe class PieceBuffer : MemoryManager<byte>
{
    private readonly byte* _pointer;

    public PieceBuffer(int capacity)
    {
        Capacity = capacity;
        _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)capacity, 4096);
    }

    public int Capacity { get; }

    public Span<byte> Span => new(_pointer, Capacity);

    public override Span<byte> GetSpan() => Span;

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    public void Free() => NativeMemory.AlignedFree(_pointer);

    protected override void Dispose(bool disposing)
    {
    }
}

/// <summary>
/// A bounded set of piece buffers: the cap on bytes in flight (being received, hashed or
/// written) for a whole engine, whatever the torrent's size.
/// </summary>
internal sealed class PieceBufferPool : IDisposable
{
    private readonly ConcurrentBag<PieceBuffer> _free = new();
    private readonly ConcurrentBag<PieceBuffer> _all = new();
    private readonly int _bufferSize;
    private readonly int _maxBuffers;
    private int _created;
    private int _rented;

    public PieceBufferPool(int bufferSize, long maxBytes)
    {
        _bufferSize = bufferSize;
        _maxBuffers = (int)Math.Max(2, Math.Min(int.MaxValue, maxBytes / bufferSize));
    }

    public int BufferSize => _bufferSize;

    public int MaxBuffers => _maxBuffers;

    public int Rented => Volatile.Read(ref _rented);

    public bool TryRent(out PieceBuffer buffer)
    {
        if (Interlocked.Increment(ref _rented) > _maxBuffers)
        {
            Interlocked.Decrement(ref _rented);
            buffer = null!;
            return false;
        }
        if (_free.TryTake(out buffer!))
        {
            return true;
        }
        Interlocked.Increment(ref _created);
        buffer = new PieceBuffer(_bufferSize);
        _all.Add(buffer);
        return true;
    }

    public void Return(PieceBuffer buffer)
    {
        _free.Add(buffer);
        Interlocked.Decrement(ref _rented);
    }

    public void Dispose()
    {
        // A loop that did not stop in time may still hold a buffer: leak rather than free
        // memory someone could write to.
        if (Rented > 0)
        {
            return;
        }
        while (_all.TryTake(out var buffer))
        {
            buffer.Free();
        }
    }
}
