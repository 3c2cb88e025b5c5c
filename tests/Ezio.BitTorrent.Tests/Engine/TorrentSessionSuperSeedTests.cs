using System.Diagnostics;
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

    private readonly ITestOutputHelper _output;

    public TorrentSessionSuperSeedTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task SuperSeedInFlight_EightPeersThatNeverAnnounce_APieceOutForEveryPeer()
    {
        var torrent = MemoryTorrent.Create(24 * PieceLength, PieceLength, fileCount: 2, seed: 6);
        await using var swarm = new SwarmHarness(torrent);
        var seeder = await swarm.AddSeederAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var token = timeout.Token;
        var peers = new List<PipePeer>();
        var advertised = new List<ToldPieces>();
        var loops = new List<Task>();
        try
        {
            for (var i = 0; i < PeerCount; i++)
            {
                var peer = await swarm.AttachPeerAsync(seeder, token);
                peers.Add(peer);
                var told = new ToldPieces();
                advertised.Add(told);
                await peer.SendSimpleAsync(MessageId.HaveNone, token);
                // They take what they are told about and never announce a piece.
                loops.Add(peer.RunAsync(told.OnMessage, token));
            }

            // The budget starts at 2 MiB (two pieces, which the first peer holds) and grows by
            // half each second while our uplink sends nothing, up to a piece per receiving
            // peer. Bounded well below the 20 s after which a piece nobody announced may be
            // handed to another peer.
            (int Served, int Pieces) Count()
            {
                var served = 0;
                var pieces = new HashSet<int>();
                foreach (var told in advertised)
                {
                    var snapshot = told.Snapshot();
                    served += snapshot.Count > 0 ? 1 : 0;
                    pieces.UnionWith(snapshot);
                }
                return (served, pieces.Count);
            }
            var clock = Stopwatch.StartNew();
            while (Count() is var (served, pieces) && (served < PeerCount - 2 || pieces < PeerCount) && clock.Elapsed < TimeSpan.FromSeconds(8))
            {
                await Task.Delay(50, token);
            }
            var (peersServed, distinct) = Count();
            _output.WriteLine($"{distinct} pieces advertised, {peersServed} of {PeerCount} peers told of one: " +
                string.Join(" ", advertised.Select(t => t.Count)));

            // One unseen piece out per receiving peer; only as many peers go without as the
            // first two hold beyond one piece each.
            Assert.Equal(PeerCount, distinct);
            Assert.InRange(peersServed, PeerCount - 2, PeerCount);
        }
        finally
        {
            timeout.Cancel();
            await Task.WhenAll(loops);
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
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
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
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
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
        var loops = new[] { first, second }.Select(peer => peer.RunAsync(told.OnMessage, token)).ToList();
        // The first can fetch nothing from anybody but us: it is told of new pieces.
        await told.SettleAsync(token);
        var count = told.Count;
        _output.WriteLine($"{count} pieces nobody holds advertised after the announce");
        timeout.Cancel();
        await Task.WhenAll(loops.Select(l => l.ContinueWith(_ => { }, TaskScheduler.Default)));

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
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var token = timeout.Token;

        await using var first = await swarm.AttachPeerAsync(seeder, token);
        var firstTold = new ToldPieces();
        var firstLoop = first.RunAsync(firstTold.OnMessage, token);
        await first.SendSimpleAsync(MessageId.HaveNone, token);
        await first.SendSimpleAsync(MessageId.Interested, token);
        // Told of its first pieces at once.
        await firstTold.SettleAsync(token);
        var firstCount = firstTold.Count;

        await using var second = await swarm.AttachPeerAsync(seeder, token);
        await second.SendSimpleAsync(MessageId.HaveNone, token);
        await second.SendSimpleAsync(MessageId.Interested, token);
        var secondTold = new HashSet<int>();
        using var secondWait = CancellationTokenSource.CreateLinkedTokenSource(token);
        secondWait.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await second.ReceiveUntilAsync(m =>
            {
                if (m.Id == MessageId.Have)
                {
                    secondTold.Add(m.Index);
                }
                return secondTold.Count >= 2;
            }, secondWait.Token);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            // Told of fewer than two: the assertion below says so.
        }
        _output.WriteLine($"first peer told of {firstCount} pieces alone; second then told of {secondTold.Count}");
        timeout.Cancel();
        await firstLoop.ContinueWith(_ => { }, TaskScheduler.Default);

        Assert.InRange(firstCount, 2, 4);
        Assert.True(secondTold.Count >= 2, $"second peer told of {secondTold.Count} pieces");
        Assert.Empty(secondTold.Intersect(firstTold.Snapshot()));
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

        public Task OnMessage(WireMessage message)
        {
            if (message.Id == MessageId.Have && (counts is null || counts(message.Index)))
            {
                lock (_pieces)
                {
                    _pieces.Add(message.Index);
                }
            }
            return Task.CompletedTask;
        }

        public HashSet<int> Snapshot()
        {
            lock (_pieces)
            {
                return new HashSet<int>(_pieces);
            }
        }

        /// <summary>
        /// Waits until told of two pieces (at most 10 s), then gives the seeder half a second
        /// to hand out more if it were going to.
        /// </summary>
        public async Task SettleAsync(CancellationToken token)
        {
            var clock = Stopwatch.StartNew();
            while (Count < 2 && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(20, token);
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), token);
        }
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
