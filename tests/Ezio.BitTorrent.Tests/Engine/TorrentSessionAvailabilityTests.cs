using Ezio.TestKit.Engine;
using Ezio.TestKit.Metainfo;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>A session's piece map of its peers: how many of them hold each region of the torrent.</summary>
public sealed class TorrentSessionAvailabilityTests
{
    private const int PieceLength = 64 << 10;

    [Fact]
    public async Task PeerAvailability_CountsPeersShareOfEachRegion()
    {
        var torrent = MemoryTorrent.Create(64 * PieceLength, PieceLength, fileCount: 1, seed: 26);
        await using var swarm = new SwarmHarness(torrent);
        // The first 16 pieces only, and an empty member that can get nothing more than those.
        var partial = await swarm.AddPartialAsync("partial", i => i < 16);
        var empty = await swarm.AddLeecherAsync("empty");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (empty.Session.GetStats().PiecesHave < 16 || partial.Session.PeerAvailability(4)[0] < 1)
        {
            await Task.Delay(20, timeout.Token);
        }

        // The partial member's view of the other: all of region 0, nothing else.
        Assert.Equal([1.0, 0, 0, 0], partial.Session.PeerAvailability(4));
        // Regions of 22, 21, 21 pieces: 16 of the first 22 held.
        var thirds = partial.Session.PeerAvailability(3);
        Assert.Equal(16.0 / 22, thirds[0], 6);
        Assert.Equal([0.0, 0], thirds[1..]);
        // More regions than pieces: one per piece.
        var perPiece = partial.Session.PeerAvailability(1000);
        Assert.Equal(64, perPiece.Length);
        Assert.Equal(16, perPiece.Sum());
        // And the other way round: the empty member now also sees exactly region 0 held once.
        Assert.Equal([1.0, 0, 0, 0], empty.Session.PeerAvailability(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => partial.Session.PeerAvailability(0));
    }
}
