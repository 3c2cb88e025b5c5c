using System.Net;
using System.Security.Cryptography;
using System.Threading.Channels;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.Picking;
using Ezio.BitTorrent.Storage;
using Ezio.BitTorrent.Trackers;
using Microsoft.Extensions.Logging;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// One torrent being downloaded and/or seeded. A single swarm loop owns the picker, the
/// peers' bitfields and the choke state (STYLE habit 1); connections, the disk writer, the
/// tracker announcer and the timer talk to it by posting events.
/// </summary>
public sealed partial class TorrentSession : IAsyncDisposable
{
    private readonly Channel<SwarmEvent> _events = Channel.CreateUnbounded<SwarmEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly DiskWriter _diskWriter;
    private readonly PiecePicker _picker;
    private readonly PieceBufferPool _pool;
    // The swarm loop's; locked only where stats and availability read it from other threads.
    private readonly List<PeerConnection> _peers = new();
    private readonly Dialer _dialer;
    private readonly BanList _bans = new();
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Random _random = new();
    private readonly Requester _requester;
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
    // Peers connected, for the announcer's thread (the list itself is the swarm loop's).
    private volatile int _peerCount;

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
        _requester = new Requester(_picker, _pool, torrent.GetPieceSize);
        _diskWriter = new DiskWriter(storage, torrent.PieceLength, Options.DiskQueuePieces, _pool, Post);
        CompressedCache = new Compression.CompressedPieceCache(Options.CompressedCacheBytes);
        ZPieces = Options.Codec is { } codec ? new ZPieceCodec(torrent, storage, codec, Options.CompressionLevel, CompressedCache) : null;
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
        _announcer = new Announcer(trackers, AnnounceRequest, peers => AddPeers(peers), () => _peerCount, Time, Options.Logger);
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
        lock (_peers)
        {
            return SwarmAvailability.Compute(_peers.Select(p => p.RemoteBitfield), Torrent.PieceCount, regions);
        }
    }

    /// <summary>Every web seed with what it sent and how it fares.</summary>
    public IReadOnlyList<WebSeedStats> GetWebSeeds() => _webSeeds.Stats();

    /// <summary>Web-seed fetches under way: read it only after <see cref="SwarmLoopCaughtUpAsync"/> (tests).</summary>
    internal int WebSeedFetchesInFlight => _webSeeds.InFlight;

    /// <summary>Every connected peer with what we fetched from it and sent to it.</summary>
    public IReadOnlyList<PeerStats> GetPeers()
    {
        lock (_peers)
        {
            return _peers.Select(p => new PeerStats(p.RemoteEndPoint, p.Downloaded, p.Uploaded, p.RemoteBitfield.TrueCount, p.Client, p.UsesCompression)).ToList();
        }
    }

    public SessionStats GetStats()
    {
        var peers = 0;
        var seeds = 0;
        long wasted = Interlocked.Read(ref _wastedClosed);
        lock (_peers)
        {
            foreach (var peer in _peers)
            {
                peers++;
                wasted += peer.Wasted;
                if (peer.RemoteBitfield.AllTrue)
                {
                    seeds++;
                }
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

    /// <summary>Completes once the swarm loop has handled everything posted so far (tests on a manual clock).</summary>
    internal Task SwarmLoopCaughtUpAsync()
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new SwarmEvent.Barrier(reached));
        return reached.Task;
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
        PeerConnection[] peers;
        lock (_peers)
        {
            peers = _peers.ToArray();
        }
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
}
