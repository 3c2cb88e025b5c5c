using System.Net;
using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.PeerWire;
using Ezio.BitTorrent.Storage;
using Ezio.TestKit.Engine;
using Ezio.TestKit.Metainfo;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>
/// A downloading machine on 10.79.1.0/24 (<see cref="SessionOptions.LocalNetworks"/>): while a
/// seed behind the router serves it, a leecher behind the router gets no upload slot and a
/// near one does; once the seed is gone the routed leecher is served (subnets whose server
/// died finish from each other). A near seed holds nobody back.
/// </summary>
public sealed class TorrentSessionLocalityTests
{
    private const int PieceLength = 64 << 10;

    [Fact]
    public async Task RoutedLeecher_ChokedWhileARoutedSeedServesUs_ServedOnceTheSeedLeaves()
    {
        var torrent = MemoryTorrent.Create(4 * PieceLength, PieceLength, fileCount: 1, seed: 47);
        var time = new ManualTime();
        await using var session = new TorrentSession(torrent.Torrent, new MemoryStorage(torrent.Data.Length, mayHaveData: false), new SessionOptions
        {
            Time = time,
            Trackers = [],
            LocalNetworks = [IPNetwork.Parse("10.79.1.0/24")],
        });
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var token = bound.Token;
        await session.StartAsync(token);

        // A super-seeder: says it is a seed (ezio_seed) and shows one piece. The session's
        // "interested" proves it read the handshake before the piece.
        var seed = await PipePeer.JoinAsync(session, torrent.Torrent, token, port: 6882, address: IPAddress.Parse("10.79.2.1"), saysSeed: true);
        await seed.SendSimpleAsync(MessageId.HaveNone, token);
        await seed.SendHaveAsync(0, token);
        await seed.ReceiveUntilAsync(m => m.Id == MessageId.Interested, token);
        await using var near = await PipePeer.JoinAsync(session, torrent.Torrent, token, port: 6881, address: IPAddress.Parse("10.79.1.12"));
        await using var routed = await PipePeer.JoinAsync(session, torrent.Torrent, token, port: 6881, address: IPAddress.Parse("10.79.2.11"));

        await routed.SendSimpleAsync(MessageId.Interested, token);
        await near.SendSimpleAsync(MessageId.Interested, token);
        await near.ReceiveUntilAsync(m => m.Id == MessageId.Unchoke, token);
        await session.SwarmLoopCaughtUpAsync().WaitAsync(token);
        session.SendKeepAlives();
        var first = await routed.ReceiveUntilAsync(m => m.Id is MessageId.Unchoke or MessageId.KeepAlive, token);
        Assert.Equal(MessageId.KeepAlive, first.Id);

        // The seed leaves: at the next tick the routed leecher gets its slot.
        await seed.DisposeAsync();
        while (session.GetStats().Peers > 2)
        {
            await session.SwarmLoopCaughtUpAsync().WaitAsync(token);
            await Task.Yield();
        }
        var unchoked = routed.ReceiveUntilAsync(m => m.Id == MessageId.Unchoke, token);
        time.Advance(TimeSpan.FromMilliseconds(250));
        await unchoked;
    }

    [Fact]
    public async Task RoutedLeecher_NearSeedServesUs_IsServed()
    {
        var torrent = MemoryTorrent.Create(4 * PieceLength, PieceLength, fileCount: 1, seed: 53);
        await using var session = new TorrentSession(torrent.Torrent, new MemoryStorage(torrent.Data.Length, mayHaveData: false), new SessionOptions
        {
            Time = new ManualTime(),
            Trackers = [],
            LocalNetworks = [IPNetwork.Parse("10.79.1.0/24")],
        });
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var token = bound.Token;
        await session.StartAsync(token);

        // The server in our subnet: a leecher across is farther from it than we are.
        await using var seed = await PipePeer.JoinAsync(session, torrent.Torrent, token, port: 6882, address: IPAddress.Parse("10.79.1.1"), saysSeed: true);
        await seed.SendSimpleAsync(MessageId.HaveNone, token);
        await seed.SendHaveAsync(0, token);
        await seed.ReceiveUntilAsync(m => m.Id == MessageId.Interested, token);
        await using var routed = await PipePeer.JoinAsync(session, torrent.Torrent, token, port: 6881, address: IPAddress.Parse("10.79.2.11"));

        await routed.SendSimpleAsync(MessageId.Interested, token);

        await routed.ReceiveUntilAsync(m => m.Id == MessageId.Unchoke, token);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Seed_ExtensionHandshake_SaysEzioSeedNeverUploadOnly(bool superSeed)
    {
        // libtorrent drops an upload-only peer that has nothing it wants: a super-seed that
        // said upload_only while showing no piece was dropped by every libtorrent leecher.
        var torrent = MemoryTorrent.Create(4 * PieceLength, PieceLength, fileCount: 1, seed: 59);
        await using var seeder = new TorrentSession(torrent.Torrent, MemoryStorage.FromBytes(torrent.Data, mayHaveData: true), new SessionOptions
        {
            AssumeComplete = true,
            SuperSeed = superSeed,
            Time = new ManualTime(),
            Trackers = [],
        });
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var token = bound.Token;
        await seeder.StartAsync(token);

        await using var peer = await PipePeer.JoinAsync(seeder, torrent.Torrent, token);
        var message = await peer.ReceiveUntilAsync(m => m.Id == MessageId.Extended && m.ExtendedId == 0, token);

        var handshake = ExtensionHandshake.Parse(message.Payload);
        Assert.True(handshake.Seed);
        Assert.False(handshake.UploadOnly);
    }
}
