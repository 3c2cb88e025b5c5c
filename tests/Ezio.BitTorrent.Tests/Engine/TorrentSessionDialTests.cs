using System.Diagnostics;
using Ezio.TestKit.Engine;
using Ezio.TestKit.Metainfo;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>
/// Which peers a session dials: a peer that dialled us and told us its listening port is not
/// dialled again when a tracker lists it at that port.
/// </summary>
public sealed class TorrentSessionDialTests
{
    private const int PieceLength = 256 << 10;

    [Fact]
    public async Task AddPeers_PeerThatDialledUsListedAtItsListeningPort_KeepsTheOneConnection()
    {
        var torrent = MemoryTorrent.Create(64 * PieceLength, PieceLength, fileCount: 1, seed: 11);
        // Sockets: the subject is who dials whom.
        await using var swarm = new SwarmHarness(torrent, SwarmTransport.Sockets);
        // Two empty members, so neither finishes and closes the connection. The first has the
        // lowest peer id: of two connections between them both ends keep the one it opened,
        // so a dial from it would replace the connection the second opened.
        var first = await swarm.AddLeecherAsync("first", peerId: new byte[20]);
        var second = await swarm.AddLeecherAsync("second");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // The second dialled the first; wait for its extension handshake (it names the client
        // and the listening port together).
        var clock = Stopwatch.StartNew();
        while (first.Session.GetPeers() is not [{ Client: not null }] && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20, timeout.Token);
        }
        var before = Assert.Single(first.Session.GetPeers());
        Assert.NotNull(before.Client);
        Assert.NotEqual(second.EndPoint, before.EndPoint);

        // A tracker answer lists the second at its listening port.
        first.Session.AddPeers([second.EndPoint]);
        await first.Session.SwarmLoopCaughtUpAsync().WaitAsync(timeout.Token);

        // The listing was handled: no dial started, the one connection stays.
        Assert.Equal(0, first.Session.Dialing);

        var after = Assert.Single(first.Session.GetPeers());
        Assert.Equal(before.EndPoint, after.EndPoint);
        Assert.Single(second.Session.GetPeers());
    }
}
