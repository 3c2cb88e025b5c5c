using System.Threading.Channels;
using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.Storage;
using Ezio.TestKit.Storage;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

public sealed class DiskWriterTests
{
    private const int PieceLength = 16 << 10;
    private static readonly TimeSpan _wait = TimeSpan.FromSeconds(30);

    private static PieceDownload Filled(PieceBufferPool pool, int index, byte value)
    {
        Assert.True(pool.TryRent(out var buffer));
        buffer.Span[..PieceLength].Fill(value);
        return new PieceDownload(index, PieceLength, buffer);
    }

    [Fact]
    public async Task EnqueueAsync_Pieces_AreWrittenAtTheirOffsetsAndPostedBackInOrder()
    {
        var storage = new MemoryStorage(4 * PieceLength, mayHaveData: false);
        using var pool = new PieceBufferPool(PieceLength, 4L * PieceLength);
        var events = Channel.CreateUnbounded<SwarmEvent>();
        var writer = new DiskWriter(storage, PieceLength, queuePieces: 2, pool, e => events.Writer.TryWrite(e));
        using var stop = new CancellationTokenSource();
        var running = writer.Start(stop.Token);

        await writer.EnqueueAsync(Filled(pool, 2, 0x22), CancellationToken.None);
        await writer.EnqueueAsync(Filled(pool, 0, 0x11), CancellationToken.None);
        var first = Assert.IsType<SwarmEvent.PieceStored>(await events.Reader.ReadAsync().AsTask().WaitAsync(_wait));
        var second = Assert.IsType<SwarmEvent.PieceStored>(await events.Reader.ReadAsync().AsTask().WaitAsync(_wait));
        writer.Complete();
        await running.WaitAsync(_wait);

        Assert.Equal([2, 0], new[] { first.Download.Index, second.Download.Index });
        var bytes = new byte[4 * PieceLength];
        storage.Read(0, bytes);
        Assert.All(bytes.AsSpan(0, PieceLength).ToArray(), b => Assert.Equal(0x11, b));
        Assert.All(bytes.AsSpan(2 * PieceLength, PieceLength).ToArray(), b => Assert.Equal(0x22, b));
        Assert.All(bytes.AsSpan(PieceLength, PieceLength).ToArray(), b => Assert.Equal(0, b));
        // The buffers travel back with the events: still rented until the swarm loop returns them.
        Assert.Equal(2, pool.Rented);
        pool.Return(first.Download.Buffer);
        pool.Return(second.Download.Buffer);
    }

    [Fact]
    public async Task EnqueueAsync_StorageFails_PostsTheFailureAndReturnsTheBuffer()
    {
        var storage = new FailingStorage(new MemoryStorage(4 * PieceLength, mayHaveData: false));
        using var pool = new PieceBufferPool(PieceLength, 4L * PieceLength);
        var events = Channel.CreateUnbounded<SwarmEvent>();
        var writer = new DiskWriter(storage, PieceLength, queuePieces: 2, pool, e => events.Writer.TryWrite(e));
        using var stop = new CancellationTokenSource();
        var running = writer.Start(stop.Token);

        await writer.EnqueueAsync(Filled(pool, 1, 0x33), CancellationToken.None);
        var failed = Assert.IsType<SwarmEvent.StorageFailed>(await events.Reader.ReadAsync().AsTask().WaitAsync(_wait));
        await running.WaitAsync(_wait);

        Assert.IsType<StorageException>(failed.Error);
        Assert.Equal(0, pool.Rented);
    }

    private sealed class FailingStorage(ITorrentStorage inner) : ForwardingStorage(inner)
    {
        public override void Write(long offset, ReadOnlySpan<byte> data) => throw new StorageException("the disk is gone");
    }
}
