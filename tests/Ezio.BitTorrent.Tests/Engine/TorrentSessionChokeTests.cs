using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.PeerWire;
using Ezio.BitTorrent.Storage;
using Ezio.TestKit.Engine;
using Ezio.TestKit.Metainfo;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>
/// A seed that chokes us half-way through a piece, over memory links on a manual clock: the
/// swarm loop takes the piece back from the connection, keeps the blocks that came, and the
/// next seed is asked only for the rest; a block the choking seed sends afterwards is waste.
/// </summary>
public sealed class TorrentSessionChokeTests
{
    private const int PieceLength = 256 << 10;
    private const int BlockSize = 16 << 10;
    private const int Kept = 4;

    private static readonly TimeSpan _bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Choke_MidPiece_BlocksKeptRestAskedOfTheNextSeedLateBlockWasted()
    {
        var torrent = MemoryTorrent.Create(4 * PieceLength, PieceLength, fileCount: 1, seed: 31);
        var storage = new MemoryStorage(torrent.Data.Length, mayHaveData: false);
        await using var session = new TorrentSession(torrent.Torrent, storage, new SessionOptions { Time = new ManualTime(), Trackers = [] });
        await session.StartAsync();
        using var bound = new CancellationTokenSource(_bound);
        var token = bound.Token;

        // The first seed answers the first few blocks of the first piece asked for, then chokes.
        await using var choking = await PipePeer.JoinAsync(session, torrent.Torrent, token, port: 40001);
        await choking.SendSimpleAsync(MessageId.HaveAll, token);
        await choking.SendSimpleAsync(MessageId.Unchoke, token);
        var first = await choking.ReceiveUntilAsync(m => m.Id == MessageId.Request, token);
        var piece = first.Index;
        var asked = new List<int> { first.Begin / BlockSize };
        while (asked.Count < Kept + 1)
        {
            var request = await choking.ReceiveUntilAsync(m => m.Id == MessageId.Request && m.Index == piece, token);
            asked.Add(request.Begin / BlockSize);
        }
        foreach (var block in asked.Take(Kept))
        {
            await choking.SendBlockAsync(torrent.Data, piece, block * BlockSize, BlockSize, token);
        }
        await choking.SendSimpleAsync(MessageId.Choke, token);
        // The choke handled: the piece is taken back and parked with its blocks. (Caught up with
        // the swarm loop alone is not enough: the receive loop may not have read the choke yet,
        // and then the late block below lands in a piece still leased, not as waste.)
        while (true)
        {
            await session.SwarmLoopCaughtUpAsync().WaitAsync(token);
            if (session.ParkedPieces == 1)
            {
                break;
            }
            await Task.Yield();
        }
        var wastedBefore = session.GetStats().Wasted;

        // A block sent after the choke, of a piece taken back: not accepted. The reject of our
        // own request behind it tells that the receive loop read it.
        var late = asked[Kept];
        await choking.SendBlockAsync(torrent.Data, piece, late * BlockSize, BlockSize, token);
        await choking.SendRequestAsync(0, 0, BlockSize, token);
        await choking.ReceiveUntilAsync(m => m.Id == MessageId.RejectRequest, token);
        await session.SwarmLoopCaughtUpAsync().WaitAsync(token);
        Assert.Equal(wastedBefore + BlockSize, session.GetStats().Wasted);

        // The second seed serves everything it is asked for.
        await using var serving = await PipePeer.JoinAsync(session, torrent.Torrent, token, port: 40002);
        var askedOfSecond = new List<(int Index, int Block)>();
        var server = Task.Run(async () =>
        {
            while (await serving.ReceiveAsync(token) is { } message)
            {
                if (message.Id == MessageId.Request)
                {
                    lock (askedOfSecond)
                    {
                        askedOfSecond.Add((message.Index, message.Begin / BlockSize));
                    }
                    await serving.SendBlockAsync(torrent.Data, message.Index, message.Begin, message.Length, token);
                }
            }
        }, token);
        await serving.SendSimpleAsync(MessageId.HaveAll, token);
        await serving.SendSimpleAsync(MessageId.Unchoke, token);
        await session.Completion.WaitAsync(token);

        var bytes = new byte[storage.Length];
        storage.Read(0, bytes);
        Assert.True(torrent.Data.AsSpan().SequenceEqual(bytes));
        List<int> ofPiece;
        lock (askedOfSecond)
        {
            ofPiece = askedOfSecond.Where(r => r.Index == piece).Select(r => r.Block).Order().ToList();
        }
        // The blocks the first seed delivered are not asked for again; every other one once.
        Assert.Equal(Enumerable.Range(0, PieceLength / BlockSize).Except(asked.Take(Kept)).ToList(), ofPiece);
        bound.Cancel();
        await server.ContinueWith(_ => { }, TaskScheduler.Default);
    }
}
