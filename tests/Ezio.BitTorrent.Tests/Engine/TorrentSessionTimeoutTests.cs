using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.PeerWire;
using Ezio.BitTorrent.Storage;
using Ezio.TestKit.Engine;
using Ezio.TestKit.Metainfo;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>The request timeout (30 s without a block while requests are out), over a memory link on a manual clock.</summary>
public sealed class TorrentSessionTimeoutTests
{
    private const int PieceLength = 256 << 10;

    // A bound on each wait of the test, never a pause: the clock under test is manual.
    private static readonly TimeSpan _bound = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(0.5, true)]
    [InlineData(31, false)]
    public async Task RequestTimeout_PeerThatHadNothingForLongerThanTheTimeout_IsDroppedOnlyWhenSilentAfterItsPiece(double silentSeconds, bool kept)
    {
        var torrent = MemoryTorrent.Create(PieceLength, PieceLength, fileCount: 1, seed: 13);
        var time = new ManualTime();
        await using var session = new TorrentSession(torrent.Torrent, new MemoryStorage(PieceLength, mayHaveData: false),
            new SessionOptions { Time = time, Trackers = [] });
        await session.StartAsync();
        using var bound = new CancellationTokenSource(_bound);
        var token = bound.Token;
        await using var peer = await PipePeer.JoinAsync(session, torrent.Torrent, token);
        await peer.SendSimpleAsync(MessageId.HaveNone, token);
        await peer.SendSimpleAsync(MessageId.Unchoke, token);

        // The peer has had nothing to give for longer than the request timeout; then it gets a
        // piece and stays silent a while (the session's ticks run meanwhile) before it sends.
        time.Advance(TimeSpan.FromSeconds(31));
        await peer.SendHaveAsync(0, token);
        var request = await peer.ReceiveUntilAsync(m => m.Id == MessageId.Request, token);
        time.Advance(TimeSpan.FromSeconds(silentSeconds));
        await session.SwarmLoopCaughtUpAsync().WaitAsync(token);
        if (!kept)
        {
            // The tick that drops it posts the close behind the barrier above when the swarm
            // loop ran the tick only after the clock's move ended: wait for the close itself.
            while (session.GetStats().Peers != 0)
            {
                await session.SwarmLoopCaughtUpAsync().WaitAsync(token);
                await Task.Yield();
            }
            return;
        }
        Assert.Equal(1, session.GetStats().Peers);
        // Serve every request until the piece is whole.
        while (true)
        {
            await peer.SendBlockAsync(torrent.Data, request.Index, request.Begin, request.Length, token);
            var next = session.Completion.IsCompleted ? null : await ReceiveRequestOrNothingAsync(peer, session, token);
            if (next is null)
            {
                break;
            }
            request = next.Value;
        }
        await session.Completion.WaitAsync(token);
        Assert.Equal(1, session.GetStats().PiecesHave);
    }

    // The next request, or null once the session completed (it then asks for nothing more).
    // A complete session also drops this peer, a seed like itself, and that close may be seen
    // before the completion is: a closed link counts only if the session did complete.
    private static async Task<TestKit.PeerWire.WireMessage?> ReceiveRequestOrNothingAsync(PipePeer peer, TorrentSession session, CancellationToken token)
    {
        var receiving = peer.ReceiveUntilAsync(m => m.Id == MessageId.Request, token);
        var done = await Task.WhenAny(receiving, session.Completion);
        if (done == receiving && receiving.IsCompletedSuccessfully)
        {
            return receiving.Result;
        }
        await session.Completion.WaitAsync(token);
        return null;
    }
}
