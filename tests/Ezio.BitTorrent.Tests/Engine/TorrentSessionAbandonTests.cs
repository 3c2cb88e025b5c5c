using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.PeerWire;
using Ezio.BitTorrent.Storage;
using Ezio.TestKit.Engine;
using Ezio.TestKit.Metainfo;
using Ezio.TestKit.Net;
using Ezio.TestKit.Storage;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>
/// A connection lost while one of its verified pieces waits for a full disk queue: the piece
/// goes back to the swarm and a web seed, which fetches only pieces nobody owns, fetches it.
/// The swarm loop once took the lost connection's ownership back twice (at the hash verdict
/// and again at the abandon), so the piece stayed owned by nobody and was never picked again:
/// a machine left with only a web seed waited forever one piece short.
/// </summary>
public sealed class TorrentSessionAbandonTests
{
    private const int PieceLength = 64 << 10;
    private const int Pieces = 8;
    private const int Served = 3;
    private const string Payload = "/images/lab.payload";

    private static readonly TimeSpan _bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ConnectionLost_WhileItsVerifiedPieceWaitsForTheDisk_WebSeedFetchesItAgain()
    {
        var torrent = MemoryTorrent.Create(Pieces * PieceLength, PieceLength, fileCount: 1, seed: 43);
        using var gate = new ManualResetEventSlim(false);
        var storage = new GatedStorage(new MemoryStorage(torrent.Data.Length, mayHaveData: false), gate);
        await using var server = new RangeHttpServer(new Dictionary<string, byte[]> { [Payload] = torrent.Data })
        {
            Mode = RangeServerMode.Unavailable,
        };
        var time = new ManualTime();
        using var bound = new CancellationTokenSource(_bound);
        var token = bound.Token;
        var options = new SessionOptions
        {
            Time = time,
            Trackers = [],
            WebSeeds = [server.UriOf(Payload)],
            WebSeedPieces = 1,
            DiskQueuePieces = 1,
        };
        await using var session = new TorrentSession(torrent.Torrent, storage, options);
        // The gate opens before the session stops, whatever happens: its disk writer waits on it.
        try
        {
            await session.StartAsync();
            // The web seed's first try is a 503: it pauses on a clock that moves only below.
            await server.WhenRequestedAsync(1).WaitAsync(token);
            // Its failure handled (pause set on the clock as it is now): a 503 still on its way
            // back when the clock jumps below would set the pause after the jump, from a clock
            // that never moves again, and the web seed would never retry (a hang under load).
            await UntilAsync(session, () => session.WebSeedFetchesInFlight == 0, token);

            // A seed serves the first three pieces it is asked for, whole, and nothing more:
            // the disk takes the first and blocks, the queue holds the second, and the third's
            // receive loop waits to queue it.
            await using var seed = await PipePeer.JoinAsync(session, torrent.Torrent, token, port: 40001);
            await seed.SendSimpleAsync(MessageId.HaveAll, token);
            await seed.SendSimpleAsync(MessageId.Unchoke, token);
            var blocks = new Dictionary<int, int>();
            var served = new List<int>();
            while (served.Count < Served)
            {
                var request = await seed.ReceiveUntilAsync(m => m.Id == MessageId.Request, token);
                if (!blocks.ContainsKey(request.Index) && blocks.Count == Served)
                {
                    continue;
                }
                await seed.SendBlockAsync(torrent.Data, request.Index, request.Begin, request.Length, token);
                blocks[request.Index] = blocks.GetValueOrDefault(request.Index) + request.Length;
                if (blocks[request.Index] == PieceLength)
                {
                    served.Add(request.Index);
                }
            }
            await storage.Entered.WaitAsync(token);
            await UntilAsync(session, () => served.All(session.PieceAwaitsDisk), token);

            // The seed's other requests time out: the swarm loop drops it, and its receive
            // loop gives up the piece it could not queue. The web seed answers from now on.
            // Requests from here on only: the web seed's first try (the 503) may have been for a
            // piece the seed then served.
            var earlier = server.Requests.Count;
            server.Mode = RangeServerMode.Ranges;
            time.Advance(options.RequestTimeout + TimeSpan.FromSeconds(1));
            // Seen by the web seed's range request for it, with the disk still shut. (Not by the
            // piece ceasing to await the disk: the web seed may fetch it again and mark it so
            // before a look between events sees the gap, and then the test waited forever.)
            bool AskedAgain(int index) => server.Requests.Skip(earlier).Any(r => r.Contains($"bytes={index * PieceLength}-", StringComparison.Ordinal));
            await UntilAsync(session, () => served.Any(AskedAgain), token);
            gate.Set();

            await session.Completion.WaitAsync(token);
            var bytes = new byte[storage.Length];
            storage.Read(0, bytes);
            Assert.True(torrent.Data.AsSpan().SequenceEqual(bytes));
            // One served piece given up (the one its receive loop could not queue); the two the
            // disk writer held were written, not fetched again.
            Assert.Single(served, AskedAgain);
        }
        finally
        {
            gate.Set();
        }
    }

    // The swarm loop's state is read between its events only.
    private static async Task UntilAsync(TorrentSession session, Func<bool> condition, CancellationToken token)
    {
        while (true)
        {
            await session.SwarmLoopCaughtUpAsync().WaitAsync(token);
            if (condition())
            {
                return;
            }
            await Task.Yield();
        }
    }

    /// <summary>Storage whose writes wait for a gate.</summary>
    private sealed class GatedStorage(ITorrentStorage inner, ManualResetEventSlim gate) : ForwardingStorage(inner)
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => _entered.Task;

        public override void Write(long offset, ReadOnlySpan<byte> data)
        {
            _entered.TrySetResult();
            gate.Wait();
            Inner.Write(offset, data);
        }
    }
}
