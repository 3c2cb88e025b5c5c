using System.Net;
using Ezio.BitTorrent.Picking;
using Ezio.BitTorrent.PeerWire;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// One established peer connection: a <see cref="PeerReceiver"/> that parses what arrives, a
/// <see cref="PeerSender"/> that writes what is queued, and the swarm loop's record of the peer
/// (its pieces, interest, choking, the pieces it fetches for us in <see cref="Downloads"/>).
/// </summary>
/// <remarks>
/// Threads: the swarm loop owns every decision (what to request, when to give up a piece, whom
/// to unchoke). The receive loop only parses, copies blocks into the downloads leased to it,
/// hashes whole pieces and posts what it learned; uploads are answered by it directly (no
/// swarm-loop hop per request): it checks the choke flag and our <see cref="HaveSet"/> and queues
/// the block for the send loop, which reads it from storage straight into the socket buffer.
/// Every field below that more than one thread touches says which and why it is atomic.
/// </remarks>
internal sealed class PeerConnection : ISuperSeedPeer, IRequestPeer, IChokePeer
{
    private const int MaxQueuedUploads = 2048;
    private static int s_nextId;

    private readonly TorrentSession _session;
    private readonly PeerLink _link;
    private readonly PeerSender _sender;
    private readonly PeerReceiver _receiver;
    private readonly CancellationTokenSource _cts = new();
    // Any thread may close (both loops, the swarm loop, the session's stop): under _cts's lock.
    private CloseReason? _closeReason;
    private string? _closeDetail;
    // Set once on close; read by every thread.
    private int _closed;
    // Receive loop counts uploads in, send loop counts them out.
    private int _queuedUploads;
    // Interlocked: a block list being computed for this peer (one at a time).
    private int _listing;
    // Receive loop writes (extension handshake), swarm loop reads.
    private int _maxOutstanding = 250;
    private volatile byte _zRemoteId;
    private volatile byte _relayRemoteId;
    private int _remoteListenPort;
    // Wire bytes per piece byte of the compressed pieces this peer sent (1 until it sends
    // one): written by the receive loop, read by the swarm loop's top-ups.
    private double _zWireRatio = 1.0;
    // Swarm loop writes, receive loop reads when it answers a request.
    private volatile bool _amChoking = true;
    // Counted by one loop each (receive: downloaded, wasted, block time; send: uploaded, send
    // time), read by the swarm loop's tick and by stats on any thread.
    private long _downloaded;
    private long _uploaded;
    private long _wasted;
    private bool _remoteSaysSeed;
    private long _lastBlockTicks;
    private long _lastReceiveTicks;
    private long _lastSendTicks;

    public PeerConnection(TorrentSession session, PeerLink link, Handshake remote, bool outgoing)
    {
        _session = session;
        _link = link;
        RemoteEndPoint = link.RemoteEndPoint;
        IsRouted = PeerLocality.IsRouted(session.Options.LocalNetworks, link.RemoteEndPoint.Address);
        PeerId = remote.PeerId.ToArray();
        SupportsFast = remote.SupportsFast;
        SupportsExtensions = remote.SupportsExtensions;
        IsOutgoing = outgoing;
        Id = Interlocked.Increment(ref s_nextId);
        _sender = new PeerSender(this, session, link.Pipe.Output);
        _receiver = new PeerReceiver(this, session, link.Pipe.Input);
        Downloads = new PeerDownloads(this, session.Torrent.PieceLength);
        var now = session.Time.GetTimestamp();
        _lastReceiveTicks = now;
        _lastSendTicks = now;
        _lastBlockTicks = now;
        RemoteBitfield = new Bitfield(session.Torrent.PieceCount);
        RemotePartial = new Bitfield(session.Torrent.PieceCount);
    }

    /// <summary>This connection's number, unique in the process: the lease it holds on downloads.</summary>
    public int Id { get; }

    public IPEndPoint RemoteEndPoint { get; }

    public byte[] PeerId { get; }

    public bool SupportsFast { get; }

    public bool SupportsExtensions { get; }

    public bool IsOutgoing { get; }

    /// <summary>The peer is outside this machine's networks (<see cref="PeerLocality"/>).</summary>
    public bool IsRouted { get; }

    /// <summary>The peer's extension handshake said it is a seed (ezio_seed, or upload_only; written by the receive loop).</summary>
    public bool RemoteSaysSeed
    {
        get => Volatile.Read(ref _remoteSaysSeed);
        set => Volatile.Write(ref _remoteSaysSeed, value);
    }

    /// <summary>The peer holds every piece: it said so, or announced them all.</summary>
    public bool RemoteIsSeed => RemoteSaysSeed || RemoteBitfield.AllTrue;

    /// <summary>The client name from the peer's extension handshake, if it sent one.</summary>
    public string? Client { get; set; }

    /// <summary>
    /// The port the peer accepts connections on, from its extension handshake (0: not told).
    /// Written by the receive loop, read by the swarm loop.
    /// </summary>
    public int RemoteListenPort
    {
        get => Volatile.Read(ref _remoteListenPort);
        set => Volatile.Write(ref _remoteListenPort, value);
    }

    /// <summary>The peer's extended id for ezio_zpiece (0: it does not speak it).</summary>
    public byte ZRemoteId
    {
        get => _zRemoteId;
        set => _zRemoteId = value;
    }

    public bool UsesCompression => _zRemoteId != 0;

    /// <summary>The peer's id for ezio_relay (0: it does not relay, or the torrent has no block roots).</summary>
    public byte RelayRemoteId
    {
        get => _relayRemoteId;
        set => _relayRemoteId = value;
    }

    /// <summary>Requests the peer accepts outstanding (its reqq), from its extension handshake.</summary>
    public int MaxOutstanding
    {
        get => Volatile.Read(ref _maxOutstanding);
        set => Volatile.Write(ref _maxOutstanding, value);
    }

    /// <summary>Wire bytes per piece byte of this peer's compressed pieces, smoothed.</summary>
    public double ZWireRatio => Volatile.Read(ref _zWireRatio);

    /// <summary>Receive loop: a compressed piece of <paramref name="pieceLength"/> came in <paramref name="wireLength"/> bytes.</summary>
    public void SampleZWire(long wireLength, int pieceLength) =>
        Volatile.Write(ref _zWireRatio, 0.7 * _zWireRatio + 0.3 * Math.Clamp((double)wireLength / pieceLength, 1.0 / 16, 1.0));

    // Whole compressed pieces pay off while they travel smaller. When the pieces come back
    // about as large as they are (incompressible data), plain blocks serve better: a piece
    // can then be spread over peers' uplinks and pipelined block by block. Judged over all
    // whole pieces this session received (docs/engine.md).
    public bool CompressedPaysOff => _session.CompressedPaysOff;

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

    public CancellationToken Closing => _cts.Token;

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

    /// <summary>The pieces this peer fetches for us, and their requests.</summary>
    public PeerDownloads Downloads { get; }

    /// <summary>Pieces the peer fills and offers block by block (ezio_relay "part"), not yet announced whole.</summary>
    public Bitfield RemotePartial { get; }

    /// <summary>The peer chokes us (as last heard by the swarm loop).</summary>
    public bool PeerChoking { get; set; } = true;

    public bool PeerInterested { get; set; }

    public bool AmInterested { get; set; }

    /// <summary>Pieces the peer has and we lack.</summary>
    public int Interesting { get; set; }

    public int HashFailures { get; set; }

    public bool Registered { get; set; }

    void ISuperSeedPeer.Advertise(int piece) => Send(Outgoing.Have(piece));

    /// <summary>No piece to give this peer right now; retry when something changes.</summary>
    public bool Hungry { get; set; }

    /// <summary>Sizes this peer's request queues from what it delivers.</summary>
    public RequestBudget Budget { get; } = new();

    /// <summary>Unrequested bytes of assigned pieces the peer should have queued.</summary>
    public int QueueTargetBytes => Budget.QueueBytes;

    /// <summary>Resizes this peer's queues from what it delivered (swarm loop, every tick).</summary>
    public void UpdateRate(long now, TimeProvider time, SessionOptions options) => Budget.Update(Downloaded, now, time, options);

    public int UnrequestedBytes => Downloads.UnrequestedBytes;

    public int DownloadCount => Downloads.Count;

    public bool CanTakeMore => Downloads.CanTakeMore;

    public List<int> FetchingIndices() => Downloads.Indices();

    public void Assign(PieceDownload download)
    {
        // On the relay board before the lease: every block copied in from now on is reported.
        _session.RelayStarting(this, download);
        Downloads.Assign(download);
    }

    public int FindUnstarted(Bitfield has, List<int> exclude, out int waiting) => Downloads.FindUnstarted(has, exclude, out waiting);

    public PieceDownload? TakeUnstarted(int index) => Downloads.TakeUnstarted(index);

    public PieceDownload? Cancel(int index) => Downloads.Cancel(index);

    public Task? ReceiveTask { get; private set; }

    public Task? SendTask { get; private set; }

    /// <summary>Queues a message; false once the connection is closing.</summary>
    public bool Send(in Outgoing message) => _sender.Send(message);

    /// <summary>Starts both loops, after the swarm loop queued the opening messages.</summary>
    public void Start()
    {
        ReceiveTask = Task.Run(_receiver.RunAsync);
        SendTask = Task.Run(_sender.RunAsync);
    }

    /// <summary>The receive loop's hand in topping up: see <see cref="PeerReceiver.Rearm"/> and <see cref="PeerReceiver.ToppedUp"/>.</summary>
    public PeerReceiver Receiver => _receiver;

    /// <summary>
    /// Swarm loop: passes a leased download to the receive loop. The request timeout runs from
    /// the last block, or from when there was something to wait for again
    /// (<paramref name="restartTimeout"/>): a peer that had nothing for us for a while is not late yet.
    /// </summary>
    public void Hand(PieceDownload download, bool restartTimeout)
    {
        if (restartTimeout)
        {
            Interlocked.Exchange(ref _lastBlockTicks, _session.Time.GetTimestamp());
        }
        _receiver.Hand(download);
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
        _sender.Complete();
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

    // Counters, each written by the loop named.

    /// <summary>Receive loop: a block or compressed piece of <paramref name="bytes"/> was accepted.</summary>
    public void CountBlock(long bytes)
    {
        Interlocked.Add(ref _downloaded, bytes);
        _session.CountDownloaded((int)bytes);
        Interlocked.Exchange(ref _lastBlockTicks, _session.Time.GetTimestamp());
    }

    /// <summary>Receive loop: bytes that arrived for nothing we asked for.</summary>
    public void CountWasted(long bytes) => Interlocked.Add(ref _wasted, bytes);

    /// <summary>Receive loop: something was read.</summary>
    public void Received() => Interlocked.Exchange(ref _lastReceiveTicks, _session.Time.GetTimestamp());

    /// <summary>Send loop: a flush went out.</summary>
    public void Flushed() => Interlocked.Exchange(ref _lastSendTicks, _session.Time.GetTimestamp());

    /// <summary>Send loop: <paramref name="bytes"/> of payload were written.</summary>
    public void CountUploaded(int bytes)
    {
        Interlocked.Add(ref _uploaded, bytes);
        _session.CountUploaded(bytes);
    }

    /// <summary>
    /// Receive loop: takes an upload slot if the peer may have one now (we do not choke it, the
    /// piece is ours, the queue has room); the send loop gives it back with <see cref="UploadSent"/>.
    /// </summary>
    public bool TryQueueUpload(int index)
    {
        if (_amChoking || !_session.LocalHave[index] || Volatile.Read(ref _queuedUploads) >= MaxQueuedUploads)
        {
            return false;
        }
        Interlocked.Increment(ref _queuedUploads);
        return true;
    }

    /// <summary>Send loop: a queued upload left.</summary>
    public void UploadSent() => Interlocked.Decrement(ref _queuedUploads);

    /// <summary>Swarm loop: may a block list be computed for this peer now (none under way)?</summary>
    public bool TryBeginListing() => Interlocked.Exchange(ref _listing, 1) == 0;

    public void EndListing() => Volatile.Write(ref _listing, 0);

    /// <summary>Queues a relayed block (swarm loop); false, the array returned to the pool, when the queue is full or closing.</summary>
    public bool QueueCopied(int index, int begin, int length, byte[] data)
    {
        if (Volatile.Read(ref _queuedUploads) >= MaxQueuedUploads)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(data);
            return false;
        }
        Interlocked.Increment(ref _queuedUploads);
        if (!Send(Outgoing.Copied(index, begin, length, data)))
        {
            Interlocked.Decrement(ref _queuedUploads);
            System.Buffers.ArrayPool<byte>.Shared.Return(data);
            return false;
        }
        return true;
    }
}
