namespace Ezio.BitTorrent.Engine;

/// <summary>
/// Sizes one peer's queues by what it delivers: <see cref="SessionOptions.RequestQueueTime"/>
/// of its rate in requests outstanding (at least <see cref="SessionOptions.MinRequestBytes"/>),
/// and half a second of it in pieces assigned but not yet requested: enough to bridge the hop
/// to the swarm loop, never a hoard of pieces a slow peer sits on while faster peers could
/// send them. A fast peer gets a deeper pipeline.
/// </summary>
/// <remarks>
/// Owned by the swarm loop: updated on every tick, read when it tops up the peer's requests.
/// </remarks>
internal sealed class RequestBudget
{
    private readonly RateMeter _rate = new(TimeSpan.FromMilliseconds(200), weight: 0.4);
    private int _requestBlocks = 64;
    private int _queueBytes;

    /// <summary>Smoothed payload rate from the peer, bytes per second.</summary>
    public double Rate => _rate.Rate;

    /// <summary>16 KiB requests to keep outstanding.</summary>
    public int RequestBlocks => _requestBlocks;

    /// <summary>Bytes of assigned pieces to keep waiting, not yet requested.</summary>
    public int QueueBytes => _queueBytes;

    /// <summary>Takes a sample of the bytes received from the peer so far and resizes the queues.</summary>
    public void Update(long downloaded, long now, TimeProvider time, SessionOptions options)
    {
        if (!_rate.Sample(downloaded, now, time))
        {
            return;
        }
        var rate = _rate.Rate;
        var maxInFlight = options.MaxRequestsPerPeer * PieceDownload.BlockSize;
        var inFlight = (int)Math.Clamp(rate * options.RequestQueueTime.TotalSeconds, options.MinRequestBytes, maxInFlight);
        _requestBlocks = Math.Max(2, inFlight / PieceDownload.BlockSize);
        _queueBytes = (int)Math.Clamp(rate / 2, 0, options.PeerQueueBytes);
    }
}
