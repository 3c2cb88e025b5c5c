using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.PeerWire;
using Ezio.TestKit.Engine;
using Ezio.TestKit.Metainfo;
using Ezio.TestKit.PeerWire;
using Xunit;
using Xunit.Abstractions;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>
/// Super-seeding seen from fake leechers over memory links: which pieces the seed advertises to
/// whom while nobody has announced a piece yet.
/// </summary>
public sealed class TorrentSessionSuperSeedTests
{
    private const int PieceLength = 1 << 20;
    private const int PeerCount = 8;
    private const int BlockSize = 16 << 10;

    // A bound on each test, never a pause: it fires only when a signal never comes.
    private static readonly TimeSpan _bound = TimeSpan.FromSeconds(60);

    private readonly ITestOutputHelper _output;

    public TorrentSessionSuperSeedTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task SuperSeedInFlight_EightPeersThatNeverAnnounce_APieceOutForEveryPeer()
    {
        var torrent = MemoryTorrent.Create(24 * PieceLength, PieceLength, fileCount: 2, seed: 6);
        await using var swarm = new SwarmHarness(torrent);
        var time = new ManualTime();
        var seeder = await swarm.AddSeederAsync(time: time);
        using var timeout = new CancellationTokenSource(_bound);
        var token = timeout.Token;
        var peers = new List<PipePeer>();
        var watchers = new List<Watcher>();
        try
        {
            for (var i = 0; i < PeerCount; i++)
            {
                var peer = await swarm.AttachPeerAsync(seeder, token);
                peers.Add(peer);
                // They take what they are told about and never announce a piece.
                var watcher = new Watcher(peer, new ToldPieces(), token);
                watchers.Add(watcher);
                await peer.SendSimpleAsync(MessageId.HaveNone, token);
                await watcher.SeenAsync(token);
            }

            // The budget starts at 2 MiB (two pieces, which the first peer holds) and grows by
            // half with each second's rate sample while our uplink sends nothing, up to a piece
            // per receiving peer. The clock moves a tick at a time, each step settled before
            // counting; bounded well below the 20 s after which a piece nobody announced may
            // be handed to another peer.
            (int Served, int Pieces) Count()
            {
                var served = 0;
                var pieces = new HashSet<int>();
                foreach (var watcher in watchers)
                {
                    var snapshot = watcher.Told.Snapshot();
                    served += snapshot.Count > 0 ? 1 : 0;
                    pieces.UnionWith(snapshot);
                }
                return (served, pieces.Count);
            }
            await DeliveredAsync(seeder.Session, watchers, token);
            for (var step = 0; step < 32 && Count() is var (served, pieces) && (served < PeerCount - 2 || pieces < PeerCount); step++)
            {
                time.Advance(TimeSpan.FromMilliseconds(250));
                await DeliveredAsync(seeder.Session, watchers, token);
            }
            var (peersServed, distinct) = Count();
            _output.WriteLine($"{distinct} pieces advertised, {peersServed} of {PeerCount} peers told of one: " +
                string.Join(" ", watchers.Select(w => w.Told.Count)));

            // One unseen piece out per receiving peer; only as many peers go without as the
            // first two hold beyond one piece each.
            Assert.Equal(PeerCount, distinct);
            Assert.InRange(peersServed, PeerCount - 2, PeerCount);
        }
        finally
        {
            timeout.Cancel();
            await Task.WhenAll(watchers.Select(w => w.Loop));
            foreach (var peer in peers)
            {
                await peer.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task SuperSeed_PeerHoldingAllThatOthersHold_GetsTheNextPieceFirst()
    {
        var torrent = MemoryTorrent.Create(24 * PieceLength, PieceLength, fileCount: 1, seed: 7);
        await using var swarm = new SwarmHarness(torrent);
        // No tick: the in-flight budget stays at its opening two pieces (it grows only on
        // the tick), so nothing but the announces below decides who is told of a piece.
        var seeder = await swarm.AddSeederAsync(time: new TimerlessTime());
        using var timeout = new CancellationTokenSource(_bound);
        var token = timeout.Token;

        var (first, firstPieces, second, secondHadBefore) = await FirstTwoPeersAsync(swarm, seeder, token);
        await using var firstPeer = first;
        await using var secondPeer = second;
        Assert.Empty(secondHadBefore);

        // The first peer announces both, in one write: announced one at a time, the second
        // peer could fetch a single piece from it in between and would count as starving too.
        // Now the first can fetch nothing from anybody but us, while the second can fetch
        // both from the first: the next piece should go to the first.
        await first.SendHavesAsync(firstPieces, token);
        var firstNext = first.ReceiveUntilAsync(m => m.Id == MessageId.Have, token);
        var secondNext = second.ReceiveUntilAsync(m => m.Id == MessageId.Have && !secondHadBefore.Contains(m.Index), token);
        var winner = await Task.WhenAny(firstNext, secondNext);
        var told = await winner;
        _output.WriteLine($"{(winner == firstNext ? "first" : "second")} peer told of piece {told.Index} first");

        Assert.Same(firstNext, winner);
        Assert.DoesNotContain(told.Index, firstPieces);
    }

    [Fact]
    public async Task SuperSeed_PeerAnnouncesPiecesItNeverFetched_StillFewPiecesOut()
    {
        var torrent = MemoryTorrent.Create(32 * PieceLength, PieceLength, fileCount: 1, seed: 8);
        await using var swarm = new SwarmHarness(torrent);
        // No tick: the in-flight budget stays at its opening 2 MiB (two 1 MiB pieces).
        var seeder = await swarm.AddSeederAsync(time: new TimerlessTime());
        using var timeout = new CancellationTokenSource(_bound);
        var token = timeout.Token;

        var (first, given, second, _) = await FirstTwoPeersAsync(swarm, seeder, token);
        await using var firstPeer = first;
        await using var secondPeer = second;

        // The first announces the two pieces it was told of and ten more, all without fetching
        // a byte from us (as a machine resuming a deployment would): nothing says what a piece
        // costs on our uplink, so the window stays two whole pieces.
        var announced = new List<int>(given);
        announced.AddRange(Enumerable.Range(0, torrent.Torrent.PieceCount).Where(i => !given.Contains(i)).Take(10));
        await first.SendHavesAsync(announced, token);

        var told = new ToldPieces(index => !announced.Contains(index));
        var watchers = new[] { first, second }.Select(peer => new Watcher(peer, told, token)).ToList();
        // The first can fetch nothing from anybody but us: it is told of new pieces. Once
        // the announce is read and handled and what that queued reached both, the count is
        // final: without a tick nothing else moves the seeder.
        await watchers[0].SeenAsync(token);
        await DeliveredAsync(seeder.Session, watchers, token);
        var count = told.Count;
        _output.WriteLine($"{count} pieces nobody holds advertised after the announce");
        timeout.Cancel();
        await Task.WhenAll(watchers.Select(w => w.Loop));

        // Two whole pieces (the window and the opening budget); counted as 16 KiB pieces the
        // window would be 64 and the rest of the torrent would go out at once.
        Assert.InRange(count, 2, 4);
    }

    [Fact]
    public async Task SuperSeed_FirstPeerAlone_TakesOnlyItsWindowOfTheOpeningBudget()
    {
        // 64 KiB pieces: the opening budget of 2 MiB holds 32 of them, a peer's window in the
        // opening second (256 KiB) four. The first machine to connect must not take the whole
        // budget, or the machines that connect a moment later wait for its uplink instead of
        // ours.
        const int smallPiece = 64 << 10;
        var torrent = MemoryTorrent.Create(64 * smallPiece, smallPiece, fileCount: 1, seed: 9);
        await using var swarm = new SwarmHarness(torrent);
        // No tick: the budget stays at its opening size, so only the window limits the first.
        var seeder = await swarm.AddSeederAsync(time: new TimerlessTime());
        using var timeout = new CancellationTokenSource(_bound);
        var token = timeout.Token;

        await using var first = await swarm.AttachPeerAsync(seeder, token);
        var firstWatcher = new Watcher(first, new ToldPieces(), token);
        await first.SendSimpleAsync(MessageId.HaveNone, token);
        await first.SendSimpleAsync(MessageId.Interested, token);
        // Told of its first pieces at once: counted once the unchoke shows both messages
        // handled and what that queued reached the peer.
        await firstWatcher.Unchoked.WaitAsync(token);
        await DeliveredAsync(seeder.Session, [firstWatcher], token);
        var firstCount = firstWatcher.Told.Count;

        await using var second = await swarm.AttachPeerAsync(seeder, token);
        var secondWatcher = new Watcher(second, new ToldPieces(), token);
        await second.SendSimpleAsync(MessageId.HaveNone, token);
        await second.SendSimpleAsync(MessageId.Interested, token);
        await secondWatcher.Unchoked.WaitAsync(token);
        await DeliveredAsync(seeder.Session, [firstWatcher, secondWatcher], token);
        var secondTold = secondWatcher.Told.Snapshot();
        _output.WriteLine($"first peer told of {firstCount} pieces alone; second then told of {secondTold.Count}");
        timeout.Cancel();
        await Task.WhenAll(firstWatcher.Loop, secondWatcher.Loop);

        Assert.InRange(firstCount, 2, 4);
        Assert.True(secondTold.Count >= 2, $"second peer told of {secondTold.Count} pieces");
        Assert.Empty(secondTold.Intersect(firstWatcher.Told.Snapshot()));
    }

    /// <summary>Pieces fake peers were told of (haves), collected from their receive loops.</summary>
    private sealed class ToldPieces(Func<int, bool>? counts = null)
    {
        private readonly HashSet<int> _pieces = new();

        public int Count
        {
            get
            {
                lock (_pieces)
                {
                    return _pieces.Count;
                }
            }
        }

        public void OnMessage(WireMessage message)
        {
            if (message.Id == MessageId.Have && (counts is null || counts(message.Index)))
            {
                lock (_pieces)
                {
                    _pieces.Add(message.Index);
                }
            }
        }

        public HashSet<int> Snapshot()
        {
            lock (_pieces)
            {
                return new HashSet<int>(_pieces);
            }
        }
    }

    /// <summary>
    /// A fake leecher's receive loop: records the pieces it is told of and signals the
    /// messages a test waits for (its unchoke, the reject of a probe, a keep-alive).
    /// </summary>
    private sealed class Watcher
    {
        private readonly PipePeer _peer;
        private readonly TaskCompletionSource _unchoked = NewSignal();
        private TaskCompletionSource? _rejected;
        private TaskCompletionSource? _keptAlive;

        public Watcher(PipePeer peer, ToldPieces told, CancellationToken token)
        {
            _peer = peer;
            Told = told;
            Loop = peer.RunAsync(OnMessage, token);
        }

        public ToldPieces Told { get; }

        /// <summary>The receive loop; ends quietly once the test's token is cancelled.</summary>
        public Task Loop { get; }

        public Task Unchoked => _unchoked.Task;

        /// <summary>
        /// Returns once the seeder's receive loop has read, and posted to its swarm loop,
        /// everything this peer sent before: two requests the seeder rejects (the peer is
        /// choked), the second sent once the first's reject is back. The reject of one goes
        /// out while the loop is still parsing what came with it; the second is read in a
        /// later pass, after the earlier one posted its events.
        /// </summary>
        public async Task SeenAsync(CancellationToken token)
        {
            for (var probe = 0; probe < 2; probe++)
            {
                var rejected = NewSignal();
                Volatile.Write(ref _rejected, rejected);
                await _peer.SendRequestAsync(0, 0, BlockSize, token);
                await rejected.Task.WaitAsync(token);
            }
        }

        /// <summary>Completes when the next keep-alive arrives: arm it before asking for one.</summary>
        public Task NextKeepAlive()
        {
            var keptAlive = NewSignal();
            Volatile.Write(ref _keptAlive, keptAlive);
            return keptAlive.Task;
        }

        private Task OnMessage(WireMessage message)
        {
            Told.OnMessage(message);
            switch (message.Id)
            {
                case MessageId.Unchoke:
                    _unchoked.TrySetResult();
                    break;
                case MessageId.RejectRequest:
                    Volatile.Read(ref _rejected)?.TrySetResult();
                    break;
                case MessageId.Piece:
                    Volatile.Read(ref _rejected)?.TrySetException(new InvalidOperationException("a probe was served: the peer is not choked"));
                    break;
                case MessageId.KeepAlive:
                    Volatile.Read(ref _keptAlive)?.TrySetResult();
                    break;
            }
            return Task.CompletedTask;
        }

        private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// Returns once the seeder's swarm loop has handled everything posted so far and whatever
    /// it queued meanwhile has reached every watcher: a keep-alive queued behind it came back.
    /// After <see cref="Watcher.SeenAsync"/>, and with no tick, what the peers were told is final.
    /// </summary>
    private static async Task DeliveredAsync(TorrentSession seeder, IReadOnlyList<Watcher> watchers, CancellationToken token)
    {
        await seeder.SwarmLoopCaughtUpAsync().WaitAsync(token);
        var keptAlive = watchers.Select(w => w.NextKeepAlive()).ToList();
        seeder.SendKeepAlives();
        await Task.WhenAll(keptAlive).WaitAsync(token);
    }

    /// <summary>
    /// The first peer is alone and is told of the first two pieces (the opening budget); then a
    /// second peer arrives and is registered once unchoked. Returns the first peer's pieces and
    /// what the second was told of before its unchoke (nothing, the budget being spent).
    /// </summary>
    private static async Task<(PipePeer First, List<int> FirstPieces, PipePeer Second, HashSet<int> SecondHadBefore)> FirstTwoPeersAsync(
        SwarmHarness swarm, SwarmMember seeder, CancellationToken token)
    {
        var first = await swarm.AttachPeerAsync(seeder, token);
        PipePeer? second = null;
        try
        {
            await first.SendSimpleAsync(MessageId.HaveNone, token);
            var firstPieces = new List<int>();
            while (firstPieces.Count < 2)
            {
                firstPieces.Add((await first.ReceiveUntilAsync(m => m.Id == MessageId.Have, token)).Index);
            }
            second = await swarm.AttachPeerAsync(seeder, token);
            await second.SendSimpleAsync(MessageId.HaveNone, token);
            await second.SendSimpleAsync(MessageId.Interested, token);
            var secondHadBefore = new HashSet<int>();
            await second.ReceiveUntilAsync(m =>
            {
                if (m.Id == MessageId.Have)
                {
                    secondHadBefore.Add(m.Index);
                }
                return m.Id == MessageId.Unchoke;
            }, token);
            return (first, firstPieces, second, secondHadBefore);
        }
        catch
        {
            await first.DisposeAsync();
            if (second is not null)
            {
                await second.DisposeAsync();
            }
            throw;
        }
    }
}
