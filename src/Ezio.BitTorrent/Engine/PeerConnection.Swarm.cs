using Ezio.BitTorrent.Picking;

namespace Ezio.BitTorrent.Engine;

// Swarm state: read and written by the session's swarm loop only.
internal sealed partial class PeerConnection
{
    /// <summary>Pieces the peer told us it has.</summary>
    public Bitfield RemoteBitfield { get; }

    public bool PeerInterested { get; set; }

    public bool AmInterested { get; set; }

    /// <summary>Pieces the peer has and we lack.</summary>
    public int Interesting { get; set; }

    public int HashFailures { get; set; }

    public bool Registered { get; set; }

    void ISuperSeedPeer.Advertise(int piece) => Send(Outgoing.Have(piece));

    /// <summary>No piece to give this peer right now; retry when something changes.</summary>
    public bool Hungry { get; set; }

    /// <summary>Smoothed payload rate from this peer, bytes per second.</summary>
    public double DownloadRate { get; private set; }

    /// <summary>Unrequested bytes of assigned pieces the peer should have queued.</summary>
    public int QueueTargetBytes => _queueTargetBytes;

    private long _rateBytes;
    private long _rateTicks;

    /// <summary>
    /// Sizes this peer's queues by what it delivers: <see cref="SessionOptions.RequestQueueTime"/>
    /// of its rate in flight (100 ms by default) and half a second assigned but not yet
    /// requested. A slow peer then never sits on pieces that faster peers could have sent
    /// (whole pieces go to one peer at a time), and a fast one gets a deeper pipeline. Called
    /// by the swarm loop on every tick.
    /// </summary>
    public void UpdateRate(long now, TimeProvider time, SessionOptions options, int pieceLength)
    {
        var bytes = Downloaded;
        if (_rateTicks == 0)
        {
            _rateTicks = now;
            _rateBytes = bytes;
            return;
        }
        var seconds = time.GetElapsedTime(_rateTicks, now).TotalSeconds;
        if (seconds < 0.2)
        {
            return;
        }
        var sample = (bytes - _rateBytes) / seconds;
        DownloadRate = DownloadRate == 0 ? sample : 0.6 * DownloadRate + 0.4 * sample;
        _rateBytes = bytes;
        _rateTicks = now;
        var maxInFlight = options.MaxRequestsPerPeer * PieceDownload.BlockSize;
        var inFlight = (int)Math.Clamp(DownloadRate * options.RequestQueueTime.TotalSeconds, options.MinRequestBytes, maxInFlight);
        _requestTargetBlocks = Math.Max(2, inFlight / PieceDownload.BlockSize);
        // Half a second of the peer's rate waits assigned but unrequested: enough to bridge the
        // hop to the swarm loop, never a hoard of pieces a slow peer sits on.
        _queueTargetBytes = (int)Math.Clamp(DownloadRate / 2, 0, options.PeerQueueBytes);
    }
}
