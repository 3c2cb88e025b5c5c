using Ezio.BitTorrent.PeerWire;
using Ezio.TestKit.Engine;
using Ezio.TestKit.Metainfo;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>A session's piece map of its peers: how many of them hold each region of the torrent.</summary>
public sealed class TorrentSessionAvailabilityTests
{
    private const int PieceLength = 64 << 10;

    // A bound on the test, never a pause: it fires only when a signal never comes.
    private static readonly TimeSpan _bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task PeerAvailability_CountsPeersShareOfEachRegion()
    {
        var torrent = MemoryTorrent.Create(64 * PieceLength, PieceLength, fileCount: 1, seed: 26);
        await using var swarm = new SwarmHarness(torrent);
        // No tick: only the peers' messages change what the session knows of them.
        var leecher = await swarm.AddLeecherAsync("leecher", time: new TimerlessTime());
        using var timeout = new CancellationTokenSource(_bound);
        var token = timeout.Token;

        // A peer that holds the first 16 pieces only.
        await using var partial = await swarm.AttachPeerAsync(leecher, token);
        await partial.SendHavesAsync(Enumerable.Range(0, 16).ToList(), token);
        await SeenAsync(partial, token);
        await leecher.Session.SwarmLoopCaughtUpAsync().WaitAsync(token);

        // All of region 0, nothing else.
        Assert.Equal([1.0, 0, 0, 0], leecher.Session.PeerAvailability(4));
        // Regions of 22, 21, 21 pieces: 16 of the first 22 held.
        var thirds = leecher.Session.PeerAvailability(3);
        Assert.Equal(16.0 / 22, thirds[0], 6);
        Assert.Equal([0.0, 0], thirds[1..]);
        // More regions than pieces: one per piece.
        var perPiece = leecher.Session.PeerAvailability(1000);
        Assert.Equal(64, perPiece.Length);
        Assert.Equal(16, perPiece.Sum());

        // A seed joins: every region held once more.
        await using var seed = await swarm.AttachPeerAsync(leecher, token);
        await seed.SendSimpleAsync(MessageId.HaveAll, token);
        await SeenAsync(seed, token);
        await leecher.Session.SwarmLoopCaughtUpAsync().WaitAsync(token);
        Assert.Equal([2.0, 1, 1, 1], leecher.Session.PeerAvailability(4));
        Assert.Equal(1 + 16.0 / 22, leecher.Session.PeerAvailability(3)[0], 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => leecher.Session.PeerAvailability(0));
    }

    /// <summary>
    /// Returns once the session's receive loop has read, and posted, everything the peer sent
    /// before: two requests for a piece the session lacks, each rejected, the second sent once
    /// the first's reject is back (so it is read in a later pass than what came before it).
    /// </summary>
    private static async Task SeenAsync(PipePeer peer, CancellationToken token)
    {
        for (var probe = 0; probe < 2; probe++)
        {
            await peer.SendRequestAsync(63, 0, 16 << 10, token);
            await peer.ReceiveUntilAsync(m => m.Id == MessageId.RejectRequest, token);
        }
    }
}
