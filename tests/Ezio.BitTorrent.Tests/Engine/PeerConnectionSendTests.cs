using Ezio.BitTorrent.PeerWire;
using Ezio.TestKit.Engine;
using Ezio.TestKit.Metainfo;
using Xunit;
using Xunit.Abstractions;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>
/// The send queue of one connection, seen from a fake peer over a memory link: messages other
/// than block data jump ahead of the blocks already queued for the peer.
/// </summary>
public sealed class PeerConnectionSendTests
{
    private const int BlockSize = 16 << 10;

    // The connection queues at most this many uploads (PeerConnection.MaxQueuedUploads);
    // requests beyond it are rejected (BEP 6).
    private const int MaxQueuedUploads = 2048;

    private readonly ITestOutputHelper _output;

    public PeerConnectionSendTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task Send_RejectsBehindAFullUploadQueue_ReachThePeerBeforeMostQueuedBlocks()
    {
        var torrent = MemoryTorrent.Create(1 << 20, 256 << 10, fileCount: 1, seed: 5);
        await using var swarm = new SwarmHarness(torrent);
        // No tick: nothing but the peer's messages moves the seeder.
        var seeder = await swarm.AddSeederAsync(time: new TimerlessTime());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var token = timeout.Token;
        // A small receive buffer: while the peer does not read, the seeder's flushes wait
        // after a few blocks and everything else waits in its send queue. Each request is
        // sent once the seeder has read the one before, so all are queued or rejected before
        // the peer starts reading.
        await using var peer = await swarm.AttachPeerAsync(seeder, token, receiveBuffer: 64 << 10, sendsWaitForRead: true);
        await peer.SendSimpleAsync(MessageId.HaveNone, token);
        await peer.SendSimpleAsync(MessageId.Interested, token);
        await peer.ReceiveUntilAsync(m => m.Id == MessageId.Unchoke, token);

        // A full queue of uploads, then requests beyond it: each is answered by a reject,
        // queued after every block.
        const int overflow = 512;
        const int total = MaxQueuedUploads + overflow;
        for (var i = 0; i < total; i++)
        {
            await peer.SendRequestAsync(0, i % 16 * BlockSize, BlockSize, token);
        }

        var blocks = 0;
        var rejects = 0;
        var blocksBeforeFirstReject = -1;
        while (blocks + rejects < total)
        {
            var message = await peer.ReceiveAsync(token) ?? throw new IOException("the seeder closed the connection");
            if (message.Id == MessageId.Piece)
            {
                blocks++;
            }
            else if (message.Id == MessageId.RejectRequest)
            {
                blocksBeforeFirstReject = rejects++ == 0 ? blocks : blocksBeforeFirstReject;
            }
        }
        _output.WriteLine($"{blocks} blocks, {rejects} rejects, the first after {blocksBeforeFirstReject} blocks");

        // Blocks written before the link stalled were no longer queued, so as many of the
        // extra requests were served; the rest were rejected.
        Assert.InRange(rejects, 1, overflow);
        // Only what had reached the link (a few hundred KiB) may precede the first reject;
        // in one queue it would wait behind at least the whole queue of 2048 blocks.
        Assert.InRange(blocksBeforeFirstReject, 0, MaxQueuedUploads / 8);
    }
}
