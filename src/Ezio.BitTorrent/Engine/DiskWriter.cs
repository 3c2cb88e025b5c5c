using System.Threading.Channels;
using Ezio.BitTorrent.Storage;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// Writes verified pieces on a thread of its own, in the order queued. The queue is bounded:
/// when the disk is behind, <see cref="EnqueueAsync"/> waits, the receive loops stop reading
/// and TCP slows the senders.
/// </summary>
/// <remarks>
/// A queued download is the writer's until it posts <see cref="SwarmEvent.PieceStored"/>,
/// which hands it (and its buffer) back to the swarm loop. On a storage failure, or pieces
/// still queued when stopping, the writer returns their buffers to the pool itself.
/// </remarks>
internal sealed class DiskWriter
{
    private readonly ITorrentStorage _storage;
    private readonly int _pieceLength;
    private readonly PieceBufferPool _pool;
    private readonly Action<SwarmEvent> _post;
    private readonly Channel<PieceDownload> _queue;

    public DiskWriter(ITorrentStorage storage, int pieceLength, int queuePieces, PieceBufferPool pool, Action<SwarmEvent> post)
    {
        _storage = storage;
        _pieceLength = pieceLength;
        _pool = pool;
        _post = post;
        _queue = Channel.CreateBounded<PieceDownload>(new BoundedChannelOptions(Math.Max(1, queuePieces))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Queues a verified piece; waits while the queue is full.</summary>
    public ValueTask EnqueueAsync(PieceDownload download, CancellationToken cancellationToken) =>
        _queue.Writer.WriteAsync(download, cancellationToken);

    /// <summary>Starts the writer thread; it ends on <paramref name="stop"/>, on <see cref="Complete"/> or on the first storage failure.</summary>
    public Task Start(CancellationToken stop) => Task.Factory.StartNew(() => Run(stop), stop, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>No more pieces will come.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    private void Run(CancellationToken stop)
    {
        var reader = _queue.Reader;
        try
        {
            while (reader.WaitToReadAsync(stop).AsTask().GetAwaiter().GetResult())
            {
                while (reader.TryRead(out var download))
                {
                    try
                    {
                        _storage.Write((long)download.Index * _pieceLength, download.Buffer.Span[..download.Length]);
                    }
                    catch (Exception e)
                    {
                        _pool.Return(download.Buffer);
                        _post(new SwarmEvent.StorageFailed(e));
                        Drain();
                        return;
                    }
                    _post(new SwarmEvent.PieceStored(download));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        Drain();
    }

    private void Drain()
    {
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out var left))
        {
            _pool.Return(left.Buffer);
        }
    }
}
