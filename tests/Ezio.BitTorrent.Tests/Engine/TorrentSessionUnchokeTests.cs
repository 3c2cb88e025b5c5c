using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.PeerWire;
using Ezio.BitTorrent.Storage;
using Ezio.TestKit.Engine;
using Ezio.TestKit.Metainfo;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>Upload slots (<see cref="SessionOptions.MaxUnchoked"/>) when more peers ask than there are slots.</summary>
public sealed class TorrentSessionUnchokeTests
{
    private const int PieceLength = 64 << 10;

    [Fact]
    public async Task NotInterested_UnchokedPeerLosesInterest_ItsSlotGoesToAWaitingPeer()
    {
        var torrent = MemoryTorrent.Create(4 * PieceLength, PieceLength, fileCount: 1, seed: 29);
        // No tick (TimerlessTime): only the messages below move the slots.
        await using var seeder = new TorrentSession(torrent.Torrent, MemoryStorage.FromBytes(torrent.Data, mayHaveData: true), new SessionOptions
        {
            AssumeComplete = true,
            SuperSeed = false,
            MaxUnchoked = 1,
            Trackers = [],
            Time = new TimerlessTime(),
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var token = timeout.Token;
        await seeder.StartAsync(token);

        await using var first = await PipePeer.JoinAsync(seeder, torrent.Torrent, token, port: 40001);
        await first.SendSimpleAsync(MessageId.Interested, token);
        await first.ReceiveUntilAsync(m => m.Id == MessageId.Unchoke, token);
        await using var second = await PipePeer.JoinAsync(seeder, torrent.Torrent, token, port: 40002);
        await second.SendSimpleAsync(MessageId.Interested, token);

        // The first peer has all it wanted: its slot is taken back and the second peer's.
        await first.SendSimpleAsync(MessageId.NotInterested, token);
        await first.ReceiveUntilAsync(m => m.Id == MessageId.Choke, token);
        var unchoked = await second.ReceiveUntilAsync(m => m.Id is MessageId.Unchoke or MessageId.Choke, token);
        Assert.Equal(MessageId.Unchoke, unchoked.Id);

        // Interested again: it waits, the only slot is taken.
        await first.SendSimpleAsync(MessageId.Interested, token);
        await second.SendSimpleAsync(MessageId.NotInterested, token);
        await first.ReceiveUntilAsync(m => m.Id == MessageId.Unchoke, token);
    }
}
