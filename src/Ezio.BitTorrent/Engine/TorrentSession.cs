using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading.Channels;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.PeerWire;
using Ezio.BitTorrent.Picking;
using Ezio.BitTorrent.Storage;
using Ezio.BitTorrent.Trackers;
using Microsoft.Extensions.Logging;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// One torrent being downloaded and/or seeded. A single swarm loop owns the picker, the
/// peers' bitfields and the choke state (STYLE habit 1) and makes every decision through the
/// parts it owns (requester, choker, super-seeder, dialer, ban list, web seeds); connections,
/// the disk writer, the tracker announcer and the timer talk to it by posting events.
/// </summary>
/// <remarks>
/// In this file, in order: construction and the public surface (start, stats, stop), then the
/// swarm loop's dispatcher and handlers, then peers joining and leaving. Connections are
/// opened by <see cref="PeerHandshaker"/> and kept in a <see cref="PeerRoster"/>.
/// </remarks>
public sealed class TorrentSession : IAsyncDisposable
{
    private readonly Channel<SwarmEvent> _events = Channel.CreateUnbounded<SwarmEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly DiskWriter _diskWriter;
    private readonly PiecePicker _picker;
    private readonly PieceBufferPool _pool;
    private readonly PeerRoster _peers = new();
    private readonly PeerHandshaker _handshaker;
    // The request queue we tell peers we accept (BEP 10 reqq).
    private const int OurRequestQueue = 2048;
    private readonly Dialer _dialer;
    private readonly BanList _bans = new();
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Random _random = new();
    private readonly Requester _requester;
    // Pieces we pass on block by block while we fill them (null: no block roots, or relay off).
    private readonly RelayBoard? _relay;
    private readonly WebSeedFetcher _webSeeds;
    // Set at start when we seed and super-seeding is on; swarm loop only.
    private SuperSeeder? _superSeeder;
    private readonly Choker _choker;
    // Interlocked: every connection's loops and the web-seed fetches add to these.
    private long _downloaded;
    private long _uploaded;
    // Written by the swarm loop, read by stats on any thread: interlocked reads and writes.
    private long _wastedClosed;
    private int _hashFailures;
    // Bytes of the pieces fetched from peers, verified and stored (as above).
    private long _written;
    // Swarm loop and start/stop write it, stats read it from any thread.
    private volatile SessionState _state = SessionState.Checking;
    private readonly RateMeter _downloadRate = new(TimeSpan.FromSeconds(1), weight: 1);
    private readonly RateMeter _uploadRate = new(TimeSpan.FromSeconds(1), weight: 1);
    private Task? _loop;
    private Task? _recheck;
    private long _recheckStarted;
    private readonly TaskCompletionSource _checked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _diskWriting;
    private Announcer? _announcer;
    private Task? _announcing;
    private ITimer? _timer;
    // Interlocked: DisposeAsync runs once whoever calls it.
    private int _disposed;

    public TorrentSession(Torrent torrent, ITorrentStorage storage, SessionOptions? options = null)
    {
        Torrent = torrent;
        Storage = storage;
        Options = options ?? new SessionOptions();
        Time = Options.Time;
        PeerId = Options.PeerId ?? NewPeerId();
        if (PeerId.Length != 20)
        {
            throw new ArgumentException("A peer id is 20 bytes.", nameof(options));
        }
        if (storage.Length != torrent.TotalLength)
        {
            throw new ArgumentException($"The storage holds {storage.Length} bytes but the torrent needs {torrent.TotalLength}.", nameof(storage));
        }
        _picker = new PiecePicker(torrent.PieceCount, _random);
        _dialer = new Dialer(Time);
        LocalHave = new HaveSet(torrent.PieceCount);
        _choker = new Choker(Options.MaxUnchoked);
        _pool = new PieceBufferPool(torrent.PieceLength, Math.Max(Options.MaxInFlightBytes, 2L * torrent.PieceLength));
        _relay = torrent.HasBlockRoots && Options.Relay ? new RelayBoard(torrent) : null;
        _requester = new Requester(_picker, _pool, torrent.GetPieceSize, download => _relay?.Forget(download));
        _diskWriter = new DiskWriter(storage, torrent.PieceLength, Options.DiskQueuePieces, _pool, Post);
        CompressedCache = new Compression.CompressedPieceCache(Options.CompressedCacheBytes);
        ZPieces = Options.Codec is { } codec ? new ZPieceCodec(torrent, storage, codec, Options.CompressionLevel, CompressedCache) : null;
        _handshaker = new PeerHandshaker(this, _stop.Token);
        _webSeeds = new WebSeedFetcher(torrent, Options, _picker, _pool, e => _events.Writer.TryWrite(e), EnqueueWriteAsync, CountDownloaded, _requester.DropParked, _stop.Token);
    }

    public Torrent Torrent { get; }

    public SessionOptions Options { get; }

    public byte[] PeerId { get; }

    public InfoHash InfoHash => Torrent.InfoHash;

    /// <summary>Completes when every piece is verified, written and flushed; faults on a storage failure.</summary>
    public Task Completion => _completed.Task;

    public bool IsComplete => _completed.Task.IsCompletedSuccessfully;

    /// <summary>Completes when what the storage already held has been hashed.</summary>
    public Task Checked => _checked.Task;

    internal TimeProvider Time { get; }

    internal ITorrentStorage Storage { get; }

    /// <summary>Our pieces as other threads may read them (the picker's bitfield is the swarm loop's).</summary>
    internal HaveSet LocalHave { get; }

    /// <summary>Connects under way (swarm loop only, or once it stopped).</summary>
    internal int Dialing => _dialer.Dialing;

    /// <summary>The swarm loop's bans: read only once the session is disposed.</summary>
    internal BanList Bans => _bans;

    internal Compression.CompressedPieceCache CompressedCache { get; }

    /// <summary>Whether this session relays blocks (ezio_relay): the torrent has block roots and relay is on.</summary>
    internal bool RelayOn => _relay is not null;

    /// <summary>Blocks we passed on before their piece was whole.</summary>
    public long RelayedBlocks => _relay?.Relayed ?? 0;

    /// <summary>The ezio_zpiece frames this session sends (null without a codec).</summary>
    internal ZPieceCodec? ZPieces { get; }

    internal static byte[] NewPeerId()
    {
        var id = new byte[20];
        "-EZ0100-"u8.CopyTo(id);
        RandomNumberGenerator.Fill(id.AsSpan(8));
        return id;
    }

    /// <summary>Checks what storage holds (when asked to), then starts the swarm.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Options.AssumeComplete)
        {
            for (var i = 0; i < Torrent.PieceCount; i++)
            {
                SetHave(i);
            }
        }
        else if (Options.Recheck && Storage.MayHaveData && !Options.RecheckBeforeStart)
        {
            // Hash what the target holds while the swarm starts: pieces under check are
            // "busy" (never picked) until their verdict arrives, piece by piece.
            for (var i = 0; i < Torrent.PieceCount; i++)
            {
                _picker.MarkBusy(i);
            }
            _recheckStarted = Time.GetTimestamp();
            var recheck = new Recheck(Torrent, Storage);
            _recheck = Task.Run(() =>
            {
                try
                {
                    recheck.InOrder((pieces, done) => Post(new SwarmEvent.Rechecked(pieces, done)), batchSize: 32, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }, CancellationToken.None);
        }
        else if (Options.Recheck && Storage.MayHaveData)
        {
            var started = Time.GetTimestamp();
            var recheck = new Recheck(Torrent, Storage);
            var have = await Task.Run(() => recheck.All(cancellationToken), cancellationToken).ConfigureAwait(false);
            var logger = Options.Logger;
            if (logger.IsEnabled(LogLevel.Information))
            {
                var haveCount = have.Count(h => h);
                var seconds = Time.GetElapsedTime(started).TotalSeconds;
                TorrentSessionLog.Rechecked(logger, haveCount, have.Length, seconds);
            }
            for (var i = 0; i < have.Length; i++)
            {
                if (have[i])
                {
                    SetHave(i);
                }
            }
            if (_picker.IsComplete)
            {
                // Complete means flushed, also when an earlier run wrote every piece.
                await Task.Run(Storage.Flush, cancellationToken).ConfigureAwait(false);
            }
        }
        if (_recheck is not null)
        {
            _state = SessionState.Checking;
        }
        else if (_picker.IsComplete)
        {
            _state = SessionState.Seeding;
            if (Options.SuperSeed)
            {
                _superSeeder = new SuperSeeder(Torrent.PieceCount, Torrent.PieceLength, Time, _random, () => Interlocked.Read(ref _uploaded), Options.Logger);
            }
            _checked.TrySetResult();
            _completed.TrySetResult();
        }
        else
        {
            _state = SessionState.Downloading;
            _checked.TrySetResult();
        }
        var now = Time.GetTimestamp();
        _downloadRate.Sample(0, now, Time);
        _uploadRate.Sample(0, now, Time);
        _loop = Task.Run(SwarmLoopAsync, CancellationToken.None);
        _diskWriting = _diskWriter.Start(_stop.Token);
        _timer = Time.CreateTimer(_ => Post(new SwarmEvent.Tick()), null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));
        AddPeers(Options.InitialPeers);
        Post(new SwarmEvent.WebSeedsStart());
        var trackers = Announcer.Uris(Options.Trackers, Torrent).Select(TrackerClientFactory.Create).ToList();
        _announcer = new Announcer(trackers, AnnounceRequest, peers => AddPeers(peers), () => _peers.Connected, Time, Options.Logger);
        var completeAtStart = IsComplete;
        _announcing = Task.Run(() => _announcer.RunAsync(completeAtStart, _stop.Token), CancellationToken.None);
    }

    /// <summary>Peers to dial (duplicates and known peers are ignored).</summary>
    public void AddPeers(IEnumerable<IPEndPoint> peers)
    {
        var list = peers.ToList();
        if (list.Count > 0)
        {
            Post(new SwarmEvent.AddPeers(list));
        }
    }

    /// <summary>
    /// How many connected peers hold each of <paramref name="regions"/> equal parts of the
    /// torrent (see <see cref="SwarmAvailability.Compute"/>); one pass over every peer's bitfield.
    /// </summary>
    public double[] PeerAvailability(int regions)
    {
        return _peers.Read(peers => SwarmAvailability.Compute(peers.Select(p => p.RemoteBitfield), Torrent.PieceCount, regions));
    }

    /// <summary>Every web seed with what it sent and how it fares.</summary>
    public IReadOnlyList<WebSeedStats> GetWebSeeds() => _webSeeds.Stats();

    /// <summary>The piece verified and waits for the disk: read it only after <see cref="SwarmLoopCaughtUpAsync"/> (tests).</summary>
    internal bool PieceAwaitsDisk(int index) => _picker.IsBusy(index);

    /// <summary>Started pieces parked until a peer resumes them: read it only after <see cref="SwarmLoopCaughtUpAsync"/> (tests).</summary>
    internal int ParkedPieces => _requester.PartialCount;

    /// <summary>Web-seed fetches under way: read it only after <see cref="SwarmLoopCaughtUpAsync"/> (tests).</summary>
    internal int WebSeedFetchesInFlight => _webSeeds.InFlight;

    /// <summary>Every connected peer with what we fetched from it and sent to it.</summary>
    public IReadOnlyList<PeerStats> GetPeers()
    {
        return _peers.Read(peers => peers.Select(p => new PeerStats(p.RemoteEndPoint, p.Downloaded, p.Uploaded, p.RemoteBitfield.TrueCount, p.Client, p.UsesCompression)).ToList());
    }

    public SessionStats GetStats()
    {
        var peers = 0;
        var seeds = 0;
        long wasted = Interlocked.Read(ref _wastedClosed);
        foreach (var peer in _peers.Snapshot())
        {
            peers++;
            wasted += peer.Wasted;
            if (peer.RemoteBitfield.AllTrue)
            {
                seeds++;
            }
        }
        var have = _picker.HaveCount;
        long left = 0;
        if (have != Torrent.PieceCount)
        {
            for (var i = 0; i < Torrent.PieceCount; i++)
            {
                if (!_picker.Have[i])
                {
                    left += Torrent.GetPieceSize(i);
                }
            }
        }
        return new SessionStats(_state, have, Torrent.PieceCount, left,
            Interlocked.Read(ref _downloaded), Interlocked.Read(ref _uploaded),
            _downloadRate.Rate, _uploadRate.Rate, peers, seeds, wasted,
            Volatile.Read(ref _hashFailures), _announcer?.LastError,
            _superSeeder?.UploadedWhenDone,
            _requester.TakenOver,
            Interlocked.Read(ref _zPieceWire), Interlocked.Read(ref _zPieceData), ZPieces?.CompressedOnTheFly ?? 0,
            Interlocked.Read(ref _written));
    }

    /// <summary>A connection a listener took in, whose handshake names our torrent.</summary>
    internal Task AcceptAsync(Socket socket, NetworkStream stream, Handshake remote, CancellationToken cancellationToken) =>
        _handshaker.AcceptAsync(socket, stream, remote, cancellationToken);

    /// <summary>Joins a peer over a transport on which nothing was said yet (in-memory links in tests).</summary>
    internal Task JoinAsync(PeerLink link, bool outgoing, CancellationToken cancellationToken) =>
        _handshaker.JoinAsync(link, outgoing, cancellationToken);

    /// <summary>Completes once the swarm loop has handled everything posted so far (tests on a manual clock).</summary>
    internal Task SwarmLoopCaughtUpAsync()
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new SwarmEvent.Barrier(reached));
        return reached.Task;
    }

    /// <summary>
    /// Queues a keep-alive to every connected peer (tests): it goes out behind everything
    /// queued to that peer before, so a fake peer that reads it has read all of that.
    /// </summary>
    internal void SendKeepAlives()
    {
        foreach (var peer in _peers.Snapshot())
        {
            peer.Send(Outgoing.KeepAlive);
        }
    }

    private void SetHave(int index)
    {
        _picker.SetHave(index);
        LocalHave.Set(index);
    }

    internal void Post(SwarmEvent message) => _events.Writer.TryWrite(message);

    private AnnounceRequest AnnounceRequest(TrackerEvent trackerEvent)
    {
        var stats = GetStats();
        return new AnnounceRequest(Torrent.InfoHash, PeerId, Options.ListenPort, stats.Uploaded, stats.Downloaded, stats.BytesLeft, trackerEvent);
    }

    internal ValueTask EnqueueWriteAsync(PieceDownload download, CancellationToken cancellationToken) =>
        _diskWriter.EnqueueAsync(download, cancellationToken);

    internal void CountDownloaded(int bytes) => Interlocked.Add(ref _downloaded, bytes);

    internal void CountUploaded(int bytes) => Interlocked.Add(ref _uploaded, bytes);

    private long _zPieceWire;
    private long _zPieceData;

    internal void CountZPiece(int wire, int data)
    {
        Interlocked.Add(ref _zPieceWire, wire);
        Interlocked.Add(ref _zPieceData, data);
    }

    /// <summary>
    /// True until the whole pieces received so far travelled at more than nine tenths of
    /// their size (judged once eight pieces' worth arrived).
    /// </summary>
    internal bool CompressedPaysOff
    {
        get
        {
            var data = Interlocked.Read(ref _zPieceData);
            return data < 8L * Torrent.PieceLength || Interlocked.Read(ref _zPieceWire) < data - data / 10;
        }
    }


    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (_state != SessionState.Failed)
        {
            _state = SessionState.Stopped;
        }
        _timer?.Dispose();
        _stop.Cancel();
        _events.Writer.TryComplete();
        await WaitQuietly(_loop).ConfigureAwait(false);
        await WaitQuietly(_recheck).ConfigureAwait(false);
        _checked.TrySetCanceled();
        var peers = _peers.Snapshot();
        foreach (var peer in peers)
        {
            peer.Abort(CloseReason.SessionStopped);
        }
        foreach (var peer in peers)
        {
            await WaitQuietly(peer.ReceiveTask).ConfigureAwait(false);
            await WaitQuietly(peer.SendTask).ConfigureAwait(false);
        }
        await _webSeeds.StopAsync(WaitQuietly).ConfigureAwait(false);
        _diskWriter.Complete();
        await WaitQuietly(_diskWriting).ConfigureAwait(false);
        _requester.Clear();
        await WaitQuietly(_announcing).ConfigureAwait(false);
        if (_announcer is not null)
        {
            await _announcer.StopAsync().ConfigureAwait(false);
        }
        _completed.TrySetCanceled();
        _pool.Dispose();
    }

    private static async Task WaitQuietly(Task? task)
    {
        if (task is null)
        {
            return;
        }
        try
        {
            await task.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Stopping: the loops report their own failures through events and state.
        }
    }

    // The swarm loop and its handlers.

    private async Task SwarmLoopAsync()
    {
        var reader = _events.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var message))
            {
                try
                {
                    Dispatch(message);
                }
                catch (PeerProtocolException e) when (message is SwarmEvent.FromPeer batch)
                {
                    batch.Peer.Abort(CloseReason.ProtocolError, e.Message);
                }
            }
        }
    }

    private void Dispatch(SwarmEvent message)
    {
        switch (message)
        {
            case SwarmEvent.FromPeer batch:
                OnBatch(batch);
                break;
            case SwarmEvent.PieceStored stored:
                OnPieceStored(stored);
                break;
            case SwarmEvent.PeerConnected connected:
                OnPeerConnected(connected.Peer);
                break;
            case SwarmEvent.PeerClosed closed:
                OnPeerClosed(closed.Peer);
                break;
            case SwarmEvent.AddPeers add:
                _dialer.Add(add.Peers);
                DialCandidates();
                break;
            case SwarmEvent.DialFailed failed:
                _dialer.Failed(failed.EndPoint);
                break;
            case SwarmEvent.Tick:
                OnTick();
                break;
            case SwarmEvent.Rechecked rechecked:
                OnRechecked(rechecked);
                break;
            case SwarmEvent.Flushed flushed:
                OnFlushed(flushed.Error);
                break;
            case SwarmEvent.StorageFailed failed:
                Fail(failed.Error);
                break;
            case SwarmEvent.WebSeedPiece webSeed:
                OnWebSeedPiece(webSeed);
                break;
            case SwarmEvent.WebSeedsStart:
                _webSeeds.Fill(Downloading);
                break;
            case SwarmEvent.Barrier barrier:
                barrier.Reached.TrySetResult();
                break;
            default:
                throw new UnreachableException($"the swarm loop has no handler for {message.GetType().Name}");
        }
    }

    private void OnBatch(SwarmEvent.FromPeer batch)
    {
        var peer = batch.Peer;
        peer.Receiver.Rearm();
        // Counted before the top-up reads what is in flight (see PeerReceiver.ToppedUp).
        var acceptedBefore = peer.Receiver.Accepted;
        var fill = false;
        foreach (var item in batch.Events)
        {
            switch (item.Kind)
            {
                case PeerEventKind.Hashed:
                    OnHashed(peer, item);
                    break;
                case PeerEventKind.Released:
                    _requester.Release(item.Download!);
                    RetryHungry();
                    break;
                case PeerEventKind.Rejected:
                    if (peer.Downloads.Refused(item.Index) is { } refused)
                    {
                        _requester.Release(refused);
                        RetryHungry();
                    }
                    break;
                case PeerEventKind.Abandoned:
                    // Its Hashed event came first and already gave up the connection's
                    // ownership; only the verified-not-stored mark is undone here.
                    if (!_picker.Have[item.Index])
                    {
                        _picker.ClearBusy(item.Index);
                    }
                    _relay?.Forget(item.Download!);
                    _pool.Return(item.Download!.Buffer);
                    break;
                case PeerEventKind.Unchoke:
                    peer.PeerChoking = false;
                    fill = true;
                    break;
                case PeerEventKind.Choke:
                    peer.PeerChoking = true;
                    foreach (var download in peer.Downloads.TakeAll())
                    {
                        _requester.Release(download);
                    }
                    RetryHungry();
                    break;
                case PeerEventKind.Interested:
                    peer.PeerInterested = true;
                    HoldRouted();
                    _choker.TryUnchoke(peer, _peers);
                    break;
                case PeerEventKind.NotInterested:
                    peer.PeerInterested = false;
                    _choker.FreeSlot(peer, _peers);
                    break;
                case PeerEventKind.Have:
                    fill |= OnHave(peer, item.Index);
                    break;
                case PeerEventKind.Bitfield:
                    if (!Bitfield.TryParse(item.Data, Torrent.PieceCount, out var bits))
                    {
                        throw new PeerProtocolException(PeerProtocolError.BadBitfield, "bitfield with spare bits set or of the wrong size.");
                    }
                    for (var i = 0; i < bits.Length; i++)
                    {
                        if (bits[i])
                        {
                            OnHave(peer, i);
                        }
                    }
                    fill = true;
                    break;
                case PeerEventKind.HaveAll:
                    for (var i = 0; i < Torrent.PieceCount; i++)
                    {
                        OnHave(peer, i);
                    }
                    fill = true;
                    break;
                case PeerEventKind.HaveNone:
                    break;
                case PeerEventKind.BlockIn:
                    _relay?.Arrived(item.Download!, item.Begin);
                    break;
                case PeerEventKind.RelayRequest:
                    OnRelayRequest(peer, item);
                    break;
                case PeerEventKind.RelayAsk:
                    OnRelayAsk(peer, item.Index);
                    break;
                case PeerEventKind.RelayList:
                    OnRelayList(peer, item.Index, item.Data!);
                    break;
                case PeerEventKind.RelayPart:
                    fill |= OnRelayPart(peer, item.Index);
                    break;
                case PeerEventKind.RelayDrop:
                    if (peer.RemotePartial.Clear(item.Index) && !_picker.Have[item.Index])
                    {
                        peer.Interesting--;
                    }
                    break;
            }
        }
        if (_superSeeder is { AllotDue: true } superSeeder)
        {
            superSeeder.Allot();
        }
        if (peer.IsClosed || !peer.Registered)
        {
            return;
        }
        UpdateInterest(peer);
        if (IsComplete && peer.RemoteBitfield.AllTrue)
        {
            peer.Abort(CloseReason.BothSeeds);
            return;
        }
        // Blocks came in: requests go out here, on the swarm loop, and only here.
        if (peer.Downloads.TopUp() || fill || peer.Hungry)
        {
            Fill(peer);
        }
        peer.Receiver.ToppedUp(acceptedBefore, peer.Downloads.Outstanding);
    }

    /// <summary>Records a have; returns true when it gave us something new to fetch.</summary>
    private bool OnHave(PeerConnection peer, int index)
    {
        if (!peer.RemoteBitfield.Set(index))
        {
            return false;
        }
        _picker.IncrementAvailability(index);
        _superSeeder?.OnHave(peer, index, _picker.Availability(index));
        if (!_picker.Have[index])
        {
            // A piece it offered in part was counted then.
            if (!peer.RemotePartial.Clear(index))
            {
                peer.Interesting++;
            }
            return true;
        }
        peer.RemotePartial.Clear(index);
        return false;
    }

    private void OnHashed(PeerConnection peer, in PeerEvent item)
    {
        var index = item.Index;
        peer.Downloads.Heard(item.Download!);
        _picker.RemoveOwner(index);
        if (!item.Ok)
        {
            _relay?.Forget(item.Download!);
            _pool.Return(item.Download!.Buffer);
            TorrentSessionLog.HashFailed(Options.Logger, index, peer.RemoteEndPoint);
            Interlocked.Increment(ref _hashFailures);
            peer.HashFailures = _bans.Strike(peer.PeerId, peer.RemoteEndPoint);
            if (peer.HashFailures >= Options.MaxHashFailures)
            {
                Ban(peer, $"sent {peer.HashFailures} pieces that failed their SHA-1 check");
            }
            RetryHungry();
            return;
        }
        if (_picker.Have[index])
        {
            return;
        }
        _picker.MarkBusy(index);
        _relay?.Verified(item.Download!);
        // Endgame: the first copy to verify wins; the others are cancelled.
        _requester.Won(index, peer, _peers);
    }

    private void OnPieceStored(SwarmEvent.PieceStored stored)
    {
        _relay?.Forget(stored.Download, stored: true);
        _pool.Return(stored.Download.Buffer);
        var index = stored.Download.Index;
        if (_picker.Have[index])
        {
            return;
        }
        Interlocked.Add(ref _written, Torrent.GetPieceSize(index));
        AnnounceHave(index);
        if (_picker.IsComplete)
        {
            StartFlush();
            return;
        }
        RetryHungry();
    }

    /// <summary>Every piece is here: flush the storage off the loop; done follows the flush (<see cref="OnFlushed"/>).</summary>
    private void StartFlush()
    {
        _state = SessionState.Flushing;
        _ = Task.Run(() =>
        {
            try
            {
                Storage.Flush();
                Post(new SwarmEvent.Flushed(null));
            }
            catch (Exception e)
            {
                Post(new SwarmEvent.Flushed(e));
            }
        });
    }

    /// <summary>A piece is ours: tell every peer, and stop wanting it from them.</summary>
    private void AnnounceHave(int index)
    {
        SetHave(index);
        foreach (var peer in _peers)
        {
            peer.Send(Outgoing.Have(index));
            if (peer.RemotePartial.Clear(index) || peer.RemoteBitfield[index])
            {
                peer.Interesting--;
                UpdateInterest(peer);
            }
        }
    }

    private void OnRechecked(SwarmEvent.Rechecked rechecked)
    {
        if (_state != SessionState.Checking)
        {
            return;
        }
        foreach (var (index, ok) in rechecked.Pieces)
        {
            if (ok)
            {
                AnnounceHave(index);
            }
            else
            {
                _picker.ClearBusy(index);
            }
        }
        if (rechecked.Done)
        {
            var logger = Options.Logger;
            if (logger.IsEnabled(LogLevel.Information))
            {
                var seconds = Time.GetElapsedTime(_recheckStarted).TotalSeconds;
                TorrentSessionLog.Rechecked(logger, _picker.HaveCount, Torrent.PieceCount, seconds);
            }
            _checked.TrySetResult();
            if (_picker.IsComplete)
            {
                // Everything was already there, but maybe only in the page cache (an earlier
                // run in this boot wrote it and stopped before its flush): flush before done.
                StartFlush();
                return;
            }
            _state = SessionState.Downloading;
        }
        RetryHungry();
    }

    private void OnFlushed(Exception? error)
    {
        if (error is not null)
        {
            Fail(error);
            return;
        }
        _state = SessionState.Seeding;
        TorrentSessionLog.Completed(Options.Logger, Torrent.PieceCount);
        _completed.TrySetResult();
        _announcer?.Complete();
        foreach (var peer in _peers.ToArray())
        {
            if (peer.RemoteBitfield.AllTrue)
            {
                peer.Abort(CloseReason.BothSeeds);
            }
        }
    }

    private void Fail(Exception error)
    {
        TorrentSessionLog.StorageFailed(Options.Logger, error);
        _state = SessionState.Failed;
        _completed.TrySetException(error);
        foreach (var peer in _peers.ToArray())
        {
            peer.Abort(CloseReason.DownloadFailed);
        }
    }

    private static void UpdateInterest(PeerConnection peer)
    {
        var interested = peer.Interesting > 0;
        if (interested != peer.AmInterested)
        {
            peer.AmInterested = interested;
            peer.Send(Outgoing.Simple(interested ? MessageId.Interested : MessageId.NotInterested));
        }
    }

    private void OnWebSeedPiece(SwarmEvent.WebSeedPiece e)
    {
        var index = e.Download.Index;
        if (_webSeeds.OnPiece(e, out var hashFailed))
        {
            // The buffer is on its way to the disk writer, which hands it back when stored.
            if (!_picker.Have[index])
            {
                _picker.MarkBusy(index);
                _requester.Won(index, winner: null, _peers);
            }
        }
        else if (hashFailed)
        {
            Interlocked.Increment(ref _hashFailures);
        }
        RetryHungry();
    }

    private bool Downloading => _state is SessionState.Downloading or SessionState.Checking;

    private void Fill(PeerConnection peer) => _requester.Fill(peer, _peers, Downloading);

    private void RetryHungry()
    {
        _webSeeds.Fill(Downloading);
        _requester.RetryHungry(_peers, Downloading);
    }

    private void Ban(PeerConnection peer, string reason)
    {
        _bans.Ban(peer.PeerId, peer.RemoteEndPoint);
        TorrentSessionLog.Banned(Options.Logger, peer.RemoteEndPoint, reason);
        peer.Abort(CloseReason.Banned, reason);
    }

    // Block relay (ezio_relay, RelayBoard): the swarm loop's side.

    /// <summary>A connection is about to fill <paramref name="download"/>: on the board, and its block list asked of the source.</summary>
    internal void RelayStarting(PeerConnection source, PieceDownload download)
    {
        if (_relay is null || source.RelayRemoteId == 0)
        {
            return;
        }
        if (_relay.Start(download))
        {
            source.Send(Outgoing.Extended(source.RelayRemoteId, RelayMessage.Encode(RelayMessage.Ask, download.Index)));
        }
    }

    private void OnRelayRequest(PeerConnection peer, in PeerEvent item)
    {
        var index = item.Index;
        if (LocalHave[index])
        {
            // It became ours between the receive loop's look and now.
            if (peer.TryQueueUpload(index))
            {
                peer.Send(Outgoing.Block(index, item.Begin, item.Length));
                return;
            }
        }
        else if (_relay is not null && !peer.AmChoking && _relay.Request(peer, index, item.Begin, item.Length))
        {
            return;
        }
        if (peer.SupportsFast)
        {
            peer.Send(Outgoing.Reject(index, item.Begin, item.Length));
        }
    }

    private void OnRelayAsk(PeerConnection peer, int index)
    {
        if (peer.RelayRemoteId == 0)
        {
            return;
        }
        if (_relay?.ListOf(index) is { } list)
        {
            peer.Send(Outgoing.Extended(peer.RelayRemoteId, RelayMessage.Encode(RelayMessage.List, index, list)));
            return;
        }
        // A piece we have whole: its list is computed off the loop, one at a time per peer,
        // and only for a peer we serve (each costs a read and a hash of the piece).
        if (!LocalHave[index] || peer.AmChoking || !peer.TryBeginListing())
        {
            peer.Send(Outgoing.Extended(peer.RelayRemoteId, RelayMessage.Encode(RelayMessage.List, index)));
            return;
        }
        _ = Task.Run(() =>
        {
            var size = Torrent.GetPieceSize(index);
            var piece = System.Buffers.ArrayPool<byte>.Shared.Rent(size);
            var computed = new byte[Metainfo.BlockHashes.ListLength(size)];
            try
            {
                Storage.Read((long)index * Torrent.PieceLength, piece.AsSpan(0, size));
                Metainfo.BlockHashes.ComputeList(piece.AsSpan(0, size), computed);
            }
            catch (StorageException)
            {
                computed = [];
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(piece);
                peer.EndListing();
            }
            peer.Send(Outgoing.Extended(peer.RelayRemoteId, RelayMessage.Encode(RelayMessage.List, index, computed)));
        });
    }

    private void OnRelayList(PeerConnection peer, int index, byte[] list)
    {
        if (_relay is null)
        {
            return;
        }
        bool taken;
        try
        {
            taken = _relay.TakeList(index, list);
        }
        catch (PeerProtocolException e)
        {
            Ban(peer, e.Message);
            return;
        }
        if (!taken)
        {
            return;
        }
        // Whoever lacks the piece may now fetch its blocks from us as they come.
        foreach (var other in _peers)
        {
            if (other != peer && other.RelayRemoteId != 0 && !other.IsClosed && !other.RemoteIsSeed &&
                !other.RemoteBitfield[index] && !other.RemotePartial[index])
            {
                other.Send(Outgoing.Extended(other.RelayRemoteId, RelayMessage.Encode(RelayMessage.Part, index)));
                _relay.Told(index, other);
            }
        }
    }

    // True when it gave us something new to fetch.
    private bool OnRelayPart(PeerConnection peer, int index)
    {
        if (_relay is null || _picker.Have[index] || peer.RemoteBitfield[index] || !peer.RemotePartial.Set(index))
        {
            return false;
        }
        peer.Interesting++;
        return true;
    }

    // While we download from a seed behind a router, the routed leechers are likely on the
    // seed's side: they get no upload slot from us, or the pieces we fetched across would cross
    // back. While any seed serves us, routed peers get no endgame duplicates. With no seed
    // connected both lift, so subnets whose seed is gone finish from each other (PeerLocality).
    private void HoldRouted()
    {
        var seed = false;
        var routedSeed = false;
        if (Options.LocalNetworks is { Count: > 0 } && Downloading)
        {
            foreach (var peer in _peers)
            {
                if (!peer.IsClosed && peer.RemoteIsSeed)
                {
                    seed = true;
                    routedSeed |= peer.IsRouted;
                }
            }
        }
        _choker.HoldRouted = routedSeed;
        _requester.HoldRouted = seed;
    }

    private void OnTick()
    {
        var now = Time.GetTimestamp();
        var rateSampled = _uploadRate.Sample(Interlocked.Read(ref _uploaded), now, Time);
        _downloadRate.Sample(Interlocked.Read(ref _downloaded), now, Time);
        HoldRouted();
        foreach (var peer in _peers.ToArray())
        {
            if (peer.DownloadCount > 0 && Time.GetElapsedTime(peer.LastBlockTicks, now) > Options.RequestTimeout)
            {
                peer.Abort(CloseReason.RequestsTimedOut);
                continue;
            }
            if (Time.GetElapsedTime(peer.LastReceiveTicks, now) > TimeSpan.FromMinutes(3))
            {
                peer.Abort(CloseReason.Silent, "nothing received for 3 minutes");
                continue;
            }
            if (Time.GetElapsedTime(peer.LastSendTicks, now) > TimeSpan.FromSeconds(90))
            {
                peer.Send(Outgoing.KeepAlive);
            }
            peer.UpdateRate(now, Time, Options);
            _choker.TryUnchoke(peer, _peers);
            if (peer.Hungry)
            {
                Fill(peer);
            }
        }
        if (_superSeeder is { Active: true } superSeeder)
        {
            if (rateSampled)
            {
                superSeeder.Adapt(_uploadRate.Rate);
            }
            superSeeder.Sweep(now);
        }
        _webSeeds.Tick(now, Downloading);
        _dialer.QueueRedials();
        DialCandidates();
    }

    // Peers joining and leaving (swarm loop).

    private void DialCandidates()
    {
        if (_state is SessionState.Failed or SessionState.Stopped)
        {
            return;
        }
        foreach (var endPoint in _dialer.TakeDue(_peers.Count, Options.MaxConnections, e => _bans.IsBanned(e) || IsSelf(e) || _peers.IsConnectedTo(e)))
        {
            _ = _handshaker.DialAsync(endPoint);
        }
    }

    private bool IsSelf(IPEndPoint endPoint) =>
        Options.ListenPort != 0 && endPoint.Port == Options.ListenPort &&
        (IPAddress.IsLoopback(endPoint.Address) || endPoint.Address.Equals(IPAddress.Any));

    private void OnPeerConnected(PeerConnection peer)
    {
        _dialer.Connected(peer.RemoteEndPoint);
        if (_state is SessionState.Failed or SessionState.Stopped)
        {
            peer.Abort(CloseReason.SessionStopped);
            return;
        }
        if (peer.PeerId.AsSpan().SequenceEqual(PeerId))
        {
            peer.Abort(CloseReason.ConnectedToSelf);
            return;
        }
        if (_bans.IsBanned(peer.PeerId, peer.RemoteEndPoint))
        {
            peer.Abort(CloseReason.Banned);
            return;
        }
        // A suspect that dials again stays on one piece at a time.
        peer.HashFailures = _bans.StrikesOf(peer.PeerId, peer.RemoteEndPoint);
        if (_peers.WithPeerId(peer.PeerId) is { } existing)
        {
            // Both sides dialled each other: keep the connection opened by the lower peer id,
            // so both ends drop the same one.
            var weAreLower = PeerId.AsSpan().SequenceCompareTo(peer.PeerId) < 0;
            var keepNew = existing.IsOutgoing != peer.IsOutgoing && peer.IsOutgoing == weAreLower;
            if (!keepNew)
            {
                peer.Abort(CloseReason.Duplicate);
                return;
            }
            existing.Abort(CloseReason.Duplicate);
        }
        if (_peers.Count >= Options.MaxConnections)
        {
            peer.Abort(CloseReason.TooManyConnections);
            return;
        }
        _peers.Add(peer);
        peer.Registered = true;
        TorrentSessionLog.PeerConnected(Options.Logger, peer.RemoteEndPoint, peer.IsOutgoing ? "outgoing" : "incoming");
        SendOpening(peer);
        peer.Start();
        if (_superSeeder is { Active: true } superSeeder)
        {
            superSeeder.Allot();
        }
    }

    /// <summary>
    /// BEP 6: with the fast extension the first message must be bitfield, have all or have
    /// none; then the BEP 10 handshake.
    /// </summary>
    private void SendOpening(PeerConnection peer)
    {
        var have = _picker.Have;
        if (_superSeeder is { Active: true } superSeeder)
        {
            superSeeder.Join(peer);
            if (peer.SupportsFast)
            {
                peer.Send(Outgoing.Simple(MessageId.HaveNone));
            }
        }
        else if (have.AllTrue && peer.SupportsFast)
        {
            peer.Send(Outgoing.Simple(MessageId.HaveAll));
        }
        else if (have.AllFalse)
        {
            if (peer.SupportsFast)
            {
                peer.Send(Outgoing.Simple(MessageId.HaveNone));
            }
        }
        else
        {
            var bits = new byte[Bitfield.ByteLength(Torrent.PieceCount)];
            have.WriteTo(bits);
            peer.Send(Outgoing.Bitfield(bits));
        }
        if (peer.SupportsExtensions)
        {
            var extensions = new Dictionary<string, int>();
            if (Options.Codec is not null)
            {
                extensions[ZPieceMessage.ExtensionName] = ZPieceMessage.LocalId;
            }
            if (_relay is not null)
            {
                extensions[RelayMessage.ExtensionName] = RelayMessage.LocalId;
            }
            var handshake = new ExtensionHandshake(extensions, Options.ListenPort == 0 ? null : Options.ListenPort, OurRequestQueue, Options.ClientName)
            {
                Seed = _picker.IsComplete,
            };
            peer.Send(Outgoing.Extended(0, handshake.Encode()));
        }
    }

    private void OnPeerClosed(PeerConnection peer)
    {
        if (!peer.Registered)
        {
            _dialer.Closed(peer.RemoteEndPoint, dialledByUs: false, banned: false);
            return;
        }
        peer.Registered = false;
        TorrentSessionLog.PeerClosed(Options.Logger, peer.RemoteEndPoint, peer.CloseDescription);
        _peers.Remove(peer);
        Interlocked.Add(ref _wastedClosed, peer.Wasted);
        _superSeeder?.Leave(peer);
        _relay?.Closed(peer);
        _choker.Closed(peer);
        for (var i = 0; i < Torrent.PieceCount; i++)
        {
            if (peer.RemoteBitfield[i])
            {
                _picker.DecrementAvailability(i);
            }
        }
        foreach (var download in peer.Downloads.TakeAll())
        {
            _requester.Release(download);
        }
        // A peer that left without misbehaving may be dialled again later.
        _dialer.Closed(peer.RemoteEndPoint, peer.IsOutgoing, _bans.IsBanned(peer.RemoteEndPoint));
        RetryHungry();
    }
}
