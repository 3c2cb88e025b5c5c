using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using Ezio.BitTorrent.Picking;
using Ezio.BitTorrent.PeerWire;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// One established peer connection: a receive loop that parses frames and a send loop that
/// drains a queue with many writers (STYLE habit 2).
/// </summary>
/// <remarks>
/// Threads: the receive loop owns parsing; the downloads list is shared with the swarm loop
/// under <see cref="_sync"/> (taken once per socket read, not per block); the send loop owns
/// the pipe writer; the swarm loop owns the fields of the "swarm state" block. Uploads are
/// answered by the receive loop directly (no swarm-loop hop per request): it checks the
/// choke flag and our <see cref="HaveSet"/> and queues the block for the send loop, which
/// reads it from storage straight into the socket buffer. Every field below that more than
/// one thread touches says which and why it is atomic.
/// </remarks>
internal sealed partial class PeerConnection : ISuperSeedPeer, IRequestPeer, IChokePeer
{
    private const int MaxQueuedUploads = 2048;

    private readonly TorrentSession _session;
    private readonly PeerLink _link;
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly Channel<Outgoing> _outbox;

    // Everything but block data: requests, haves, cancels, choking. These jump ahead of the
    // blocks queued for the peer; behind megabytes of our uploads, our requests would reach
    // a busy peer seconds late and its uplink would idle for us meanwhile.
    private readonly ConcurrentQueue<Outgoing> _urgent = new();
    // Interlocked: any sender sets it, the send loop clears it; one wake-up queued at most.
    private int _wakePending;
    private readonly CancellationTokenSource _cts = new();
    // Receive loop and swarm loop both reach the downloads (see the remarks).
    private readonly Lock _sync = new();
    private readonly List<PieceDownload> _downloads = new();
    // Pieces received whole whose hash the swarm loop has not heard of yet: out of _downloads
    // but still this peer's, so the swarm loop must not ask this peer for them again.
    private readonly List<int> _unheard = new();
    private readonly WireLimits _limits;
    // Any thread may close (both loops, the swarm loop, the session's stop): under _cts's lock.
    private CloseReason? _closeReason;
    private string? _closeDetail;
    // Set once on close; read by every thread.
    private int _closed;
    // Receive loop counts uploads in, send loop counts them out.
    private int _queuedUploads;
    // Receive loop only (from the peer's extension handshake, under _sync).
    private int _maxOutstanding = 250;
    // Written by the receive loop (extension handshake), read by the swarm loop.
    private volatile byte _zRemoteId;
    // Sized by the swarm loop from the measured rate; read by the receive loop's top-ups.
    private readonly RequestBudget _budget = new();
    // Receive loop writes (choke, unchoke), swarm loop reads.
    private volatile bool _peerChoking = true;
    // Swarm loop writes, receive loop reads when it answers a request.
    private volatile bool _amChoking = true;
    // Receive loop sets it when it posts "need work", swarm loop clears it after a fill.
    private int _needWorkPosted;
    // Counted by one loop each (receive: downloaded, wasted, block time; send: uploaded, send
    // time), read by the swarm loop's tick and by stats on any thread.
    private long _downloaded;
    private long _uploaded;
    private long _wasted;
    private long _lastBlockTicks;
    private long _lastReceiveTicks;
    private long _lastSendTicks;

    public PeerConnection(TorrentSession session, PeerLink link, Handshake remote, bool outgoing)
    {
        _session = session;
        _link = link;
        RemoteEndPoint = link.RemoteEndPoint;
        PeerId = remote.PeerId.ToArray();
        SupportsFast = remote.SupportsFast;
        SupportsExtensions = remote.SupportsExtensions;
        IsOutgoing = outgoing;
        _reader = link.Pipe.Input;
        _writer = link.Pipe.Output;
        _outbox = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });
        // A compressed piece travels as one extended message of up to a piece (plus header).
        _limits = session.Options.Codec is null
            ? new WireLimits(session.Torrent.PieceCount)
            : new WireLimits(session.Torrent.PieceCount, MaxExtendedLength: Math.Max(1 << 20, session.Torrent.PieceLength + 64));
        var now = session.Time.GetTimestamp();
        _lastReceiveTicks = now;
        _lastSendTicks = now;
        _lastBlockTicks = now;
        RemoteBitfield = new Bitfield(session.Torrent.PieceCount);
    }

    public IPEndPoint RemoteEndPoint { get; }

    public byte[] PeerId { get; }

    public bool SupportsFast { get; }

    public bool SupportsExtensions { get; }

    public bool IsOutgoing { get; }

    /// <summary>The client name from the peer's extension handshake, if it sent one.</summary>
    public string? Client { get; private set; }

    /// <summary>
    /// The port the peer accepts connections on, from its extension handshake (0: not told).
    /// Written by the receive loop, read by the swarm loop.
    /// </summary>
    public int RemoteListenPort => Volatile.Read(ref _remoteListenPort);

    private int _remoteListenPort;

    public bool UsesCompression => _zRemoteId != 0;

    /// <summary>Why the connection closed, with any detail (null while open).</summary>
    public string? CloseDescription
    {
        get
        {
            lock (_cts)
            {
                return _closeReason is { } reason ? (_closeDetail is null ? reason.ToString() : $"{reason}: {_closeDetail}") : null;
            }
        }
    }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public bool PeerChoking => _peerChoking;

    public bool AmChoking => _amChoking;

    public long Downloaded => Interlocked.Read(ref _downloaded);

    public long Uploaded => Interlocked.Read(ref _uploaded);

    public long Wasted => Interlocked.Read(ref _wasted);

    public long LastBlockTicks => Interlocked.Read(ref _lastBlockTicks);

    public long LastReceiveTicks => Interlocked.Read(ref _lastReceiveTicks);

    public long LastSendTicks => Interlocked.Read(ref _lastSendTicks);

    // Swarm state: read and written by the session's swarm loop only.

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

    /// <summary>Unrequested bytes of assigned pieces the peer should have queued.</summary>
    public int QueueTargetBytes => _budget.QueueBytes;

    /// <summary>Resizes this peer's queues from what it delivered (swarm loop, every tick).</summary>
    public void UpdateRate(long now, TimeProvider time, SessionOptions options) => _budget.Update(Downloaded, now, time, options);


    public Task? ReceiveTask { get; private set; }

    public Task? SendTask { get; private set; }

    /// <summary>Queues a message; false once the connection is closing.</summary>
    public bool Send(in Outgoing message)
    {
        if (!message.IsUrgent)
        {
            return _outbox.Writer.TryWrite(message);
        }
        _urgent.Enqueue(message);
        // One wake-up in the queue is enough however many urgent messages wait.
        return Interlocked.Exchange(ref _wakePending, 1) == 1 || _outbox.Writer.TryWrite(Outgoing.Wake);
    }

    /// <summary>Starts both loops, after the swarm loop queued the opening messages.</summary>
    public void Start()
    {
        ReceiveTask = Task.Run(ReceiveLoopAsync);
        SendTask = Task.Run(SendLoopAsync);
    }

    public void SetAmChoking(bool choking)
    {
        if (_amChoking == choking)
        {
            return;
        }
        _amChoking = choking;
        Send(Outgoing.Simple(choking ? MessageId.Choke : MessageId.Unchoke));
    }

    /// <summary>
    /// Closes the connection; the first reason wins. The swarm loop hears of it through a
    /// peer-closed event and takes back the downloads.
    /// </summary>
    public void Abort(CloseReason reason, string? detail = null)
    {
        // Any thread may close: both loops, the swarm loop, the session's stop.
        lock (_cts)
        {
            if (_closeReason is not null)
            {
                return;
            }
            _closeReason = reason;
            _closeDetail = detail;
        }
        Volatile.Write(ref _closed, 1);
        _outbox.Writer.TryComplete();
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
        _link.Cut();
        _session.Post(new SwarmEvent.PeerClosed(this));
    }

    /// <summary>Adds a piece to fetch (swarm loop) and tops up requests.</summary>
    public void Assign(PieceDownload download)
    {
        SwarmEvent.FromPeer? batch = null;
        lock (_sync)
        {
            // The request timeout runs from the last block, or from when there was something
            // to wait for again: a peer that had nothing for us for a while is not late yet.
            if (_downloads.Count == 0)
            {
                Interlocked.Exchange(ref _lastBlockTicks, _session.Time.GetTimestamp());
            }
            _downloads.Add(download);
            Volatile.Write(ref _needWorkPosted, 0);
            TopUpRequests(ref batch);
        }
        if (batch is not null)
        {
            _session.Post(batch);
        }
    }

    /// <summary>Re-arms the low-water signal when the swarm loop had nothing to give.</summary>
    public void ClearNeedWork() => Volatile.Write(ref _needWorkPosted, 0);

    private int BlocksPerPiece => (_session.Torrent.PieceLength + PieceDownload.BlockSize - 1) / PieceDownload.BlockSize;

    // Compressed mode requests whole pieces: two in flight at least so the link never idles
    // for a round trip, more for a fast peer, counted in wire bytes (16 at most; docs/engine.md).
    private int ZBudgetBlocks =>
        Math.Clamp((int)(_budget.RequestBlocks / _zWireRatio), 2 * BlocksPerPiece, 16 * BlocksPerPiece);

    // Wire bytes per piece byte of the compressed pieces this peer sent (1 until it sends one).
    private double _zWireRatio = 1.0;
    private int _zProbe;

    // Whole compressed pieces pay off while they travel smaller. When the pieces come back
    // about as large as they are (incompressible data), plain blocks serve better: a piece
    // can then be spread over peers' uplinks and pipelined block by block. Every eighth piece
    // is still asked for compressed, so data that turns compressible switches back.
    // Judged over all whole pieces this session received, not this peer's last few: a disk
    // holds runs of already-compressed files, and a run of them must not send the rest of
    // an image that halves on the wire as plain blocks.
    private bool CompressedPaysOff => _session.CompressedPaysOff;

    private bool CompressedMode => _zRemoteId != 0 && CompressedPaysOff;

    /// <summary>
    /// False while a compressed-mode peer has no room to request another whole piece: giving
    /// it one now would only park the piece.
    /// </summary>
    public bool CanTakeMore
    {
        get
        {
            if (!CompressedMode)
            {
                return true;
            }
            lock (_sync)
            {
                var outstanding = 0;
                var unrequestedPieces = 0;
                foreach (var download in _downloads)
                {
                    outstanding += download.NextRequest - download.ReceivedCount;
                    unrequestedPieces += download.WaitsWhole ? 1 : 0;
                }
                return unrequestedPieces == 0 && outstanding + BlocksPerPiece <= ZBudgetBlocks;
            }
        }
    }

    /// <summary>Bytes of assigned pieces not yet requested.</summary>
    public int UnrequestedBytes
    {
        get
        {
            lock (_sync)
            {
                var total = 0;
                foreach (var download in _downloads)
                {
                    total += download.UnrequestedBytes;
                }
                return total;
            }
        }
    }

    public int DownloadCount
    {
        get
        {
            lock (_sync)
            {
                return _downloads.Count;
            }
        }
    }

    /// <summary>
    /// The pieces this peer fetches now, copied under one lock: those in progress and those
    /// received whole that the swarm loop has not yet heard were hashed. Until it hears, the
    /// picker still counts such a piece as owned, not busy, and endgame would ask this same
    /// peer for the whole piece again (a seed ignores the cancel).
    /// </summary>
    public List<int> FetchingIndices()
    {
        lock (_sync)
        {
            var indices = new List<int>(_downloads.Count + _unheard.Count + 4);
            foreach (var download in _downloads)
            {
                indices.Add(download.Index);
            }
            indices.AddRange(_unheard);
            return indices;
        }
    }

    /// <summary>The swarm loop heard that a piece received whole from this peer was hashed.</summary>
    public void Heard(int index)
    {
        lock (_sync)
        {
            _unheard.Remove(index);
        }
    }

    /// <summary>
    /// Takes a piece back (endgame: another peer delivered it). Returns the download, whose
    /// buffer the caller now owns, or null when this peer no longer fetches it.
    /// </summary>
    public PieceDownload? Cancel(int index)
    {
        lock (_sync)
        {
            for (var i = 0; i < _downloads.Count; i++)
            {
                var download = _downloads[i];
                if (download.Index != index)
                {
                    continue;
                }
                _downloads.RemoveAt(i);
                for (var block = 0; block < download.NextRequest; block++)
                {
                    if (!download.IsReceived(block))
                    {
                        Send(Outgoing.Cancel(index, block * PieceDownload.BlockSize, download.BlockLength(block)));
                    }
                }
                download.Cancelled = true;
                return download;
            }
            return null;
        }
    }

    /// <summary>
    /// A piece in <paramref name="has"/> and not in <paramref name="exclude"/> assigned here of
    /// which no block was requested yet, or -1; <paramref name="waiting"/> is the bytes of all
    /// pieces here still unrequested.
    /// </summary>
    public int FindUnstarted(Bitfield has, List<int> exclude, out int waiting)
    {
        lock (_sync)
        {
            waiting = 0;
            var found = -1;
            foreach (var download in _downloads)
            {
                waiting += download.UnrequestedBytes;
                if (found < 0 && download.IsUntouched && has[download.Index] && !exclude.Contains(download.Index))
                {
                    found = download.Index;
                }
            }
            return found;
        }
    }

    /// <summary>
    /// Takes back an assigned piece still untouched (nothing requested), for another peer to
    /// send; null when it was requested meanwhile or is not here. The caller owns it now.
    /// </summary>
    public PieceDownload? TakeUnstarted(int index)
    {
        lock (_sync)
        {
            for (var i = 0; i < _downloads.Count; i++)
            {
                var download = _downloads[i];
                if (download.Index == index && download.IsUntouched)
                {
                    _downloads.RemoveAt(i);
                    return download;
                }
            }
            return null;
        }
    }

    /// <summary>Takes every download back (the connection closed).</summary>
    public List<PieceDownload> TakeDownloads()
    {
        lock (_sync)
        {
            var taken = new List<PieceDownload>(_downloads);
            _downloads.Clear();
            return taken;
        }
    }

    // Called under _sync.
    private void TopUpRequests(ref SwarmEvent.FromPeer? batch)
    {
        if (_peerChoking || IsClosed)
        {
            return;
        }
        var outstanding = 0;
        var unrequested = 0;
        foreach (var download in _downloads)
        {
            outstanding += download.NextRequest - download.ReceivedCount;
        }
        var budget = Math.Min(_maxOutstanding, _budget.RequestBlocks) - outstanding;
        var zId = _zRemoteId;
        // Whole compressed pieces: one in flight for a slow peer, more for one whose rate
        // covers them; a piece is only assigned when it can be requested at once, so no
        // piece waits in a slow peer's queue while faster peers could send it.
        var blocksPerPiece = BlocksPerPiece;
        var zBudget = 0;
        if (zId != 0)
        {
            zBudget = ZBudgetBlocks;
            var paysOff = CompressedPaysOff;
            foreach (var download in _downloads)
            {
                if (!download.WaitsWhole)
                {
                    continue;
                }
                if (!paysOff && ++_zProbe % 8 != 0)
                {
                    download.AsBlocks = true;
                    continue;
                }
                if (outstanding == 0 || outstanding + download.BlockCount <= zBudget)
                {
                    Send(Outgoing.Extended(zId, ZPieceMessage.EncodeRequest(ZPieceMessage.Request, download.Index)));
                    download.NextRequest = download.BlockCount;
                    outstanding += download.BlockCount;
                }
            }
        }
        foreach (var download in _downloads)
        {
            // In compressed mode only pieces that were begun as blocks continue as blocks.
            if (zId != 0 && download.WaitsWhole)
            {
                unrequested += download.UnrequestedBytes;
                continue;
            }
            while (budget > 0 && download.NextRequest < download.BlockCount)
            {
                var block = download.NextRequest++;
                if (download.IsReceived(block))
                {
                    continue;
                }
                Send(Outgoing.Request(download.Index, block * PieceDownload.BlockSize, download.BlockLength(block)));
                budget--;
            }
            unrequested += download.UnrequestedBytes;
        }
        var room = !CompressedMode || outstanding + blocksPerPiece <= zBudget;
        if (room && unrequested <= _budget.QueueBytes && Interlocked.Exchange(ref _needWorkPosted, 1) == 0)
        {
            (batch ??= new SwarmEvent.FromPeer(this)).Events.Add(new PeerEvent(PeerEventKind.NeedWork));
        }
    }
}
