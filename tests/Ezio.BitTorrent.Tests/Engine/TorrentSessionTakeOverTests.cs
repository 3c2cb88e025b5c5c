using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.PeerWire;
using Ezio.BitTorrent.Storage;
using Ezio.TestKit.Engine;
using Ezio.TestKit.Metainfo;
using Xunit;
using Xunit.Abstractions;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>
/// A downloading session between two fake seeds over memory links on a manual clock: pieces
/// queued at a seed that stopped answering move to the one that still does.
/// </summary>
public sealed class TorrentSessionTakeOverTests
{
    private const int PieceLength = 256 << 10;
    private const int BlockSize = 16 << 10;

    // A bound on each wait of the test, never a pause: the clock under test is manual.
    private static readonly TimeSpan _bound = TimeSpan.FromSeconds(60);

    private readonly ITestOutputHelper _output;

    public TorrentSessionTakeOverTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task TryTakeOver_SeedStallsWithPiecesQueued_IdleSeedSendsThemAndTheDownloadCompletes()
    {
        var torrent = MemoryTorrent.Create(128 * PieceLength, PieceLength, fileCount: 3, seed: 7);
        var time = new ManualTime();
        var storage = new MemoryStorage(torrent.Data.Length, mayHaveData: false);
        await using var session = new TorrentSession(torrent.Torrent, storage, new SessionOptions { Time = time, Trackers = [] });
        await session.StartAsync();
        using var bound = new CancellationTokenSource(_bound);
        var token = bound.Token;

        // The first seed takes 16 requests at a time and answers at 8 MiB/s of the session's
        // clock for 1.5 s: by then the session queues pieces at it beyond those requests (half
        // a second of its rate, some 16 pieces). Then it goes silent with those pieces untouched.
        await using var stalling = await PipePeer.JoinAsync(session, torrent.Torrent, token, port: 40001, requestQueue: 16);
        await stalling.SendSimpleAsync(MessageId.HaveAll, token);
        await stalling.SendSimpleAsync(MessageId.Unchoke, token);
        const int blocksPerTick = (8 << 20) / 4 / BlockSize;
        for (var tick = 0; tick < 6; tick++)
        {
            for (var served = 0; served < blocksPerTick; served++)
            {
                var request = await stalling.ReceiveUntilAsync(m => m.Id == MessageId.Request, token);
                await stalling.SendBlockAsync(torrent.Data, request.Index, request.Begin, request.Length, token);
            }
            await session.SwarmLoopCaughtUpAsync().WaitAsync(token);
            time.Advance(TimeSpan.FromMilliseconds(250));
        }
        var silent = DrainAsync(stalling, token);

        // The second seed answers at once; once nothing is left that nobody fetches, it
        // takes over the stalled seed's queue. Without that, more pieces than the endgame
        // covers would wait for the 30 s request timeout, which this clock never reaches.
        await using var fast = await PipePeer.JoinAsync(session, torrent.Torrent, token, port: 40002);
        await fast.SendSimpleAsync(MessageId.HaveAll, token);
        await fast.SendSimpleAsync(MessageId.Unchoke, token);
        var serving = ServeAsync(fast, torrent.Data, token);
        await session.Completion.WaitAsync(token);
        var stats = session.GetStats();
        _output.WriteLine($"{stats.PiecesTakenOver} pieces taken over, {stats.Downloaded >> 10} KiB downloaded");

        var bytes = new byte[storage.Length];
        storage.Read(0, bytes);
        Assert.True(torrent.Data.AsSpan().SequenceEqual(bytes));
        Assert.True(stats.PiecesTakenOver > 0, "no piece was taken over from the stalled seed");
        bound.Cancel();
        await Task.WhenAll(silent, serving).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    // Reads and ignores everything: a peer that stopped answering but stays connected.
    private static async Task DrainAsync(PipePeer peer, CancellationToken token)
    {
        while (await peer.ReceiveAsync(token) is not null)
        {
        }
    }

    private static async Task ServeAsync(PipePeer peer, byte[] data, CancellationToken token)
    {
        while (await peer.ReceiveAsync(token) is { } message)
        {
            if (message.Id == MessageId.Request)
            {
                await peer.SendBlockAsync(data, message.Index, message.Begin, message.Length, token);
            }
        }
    }
}
