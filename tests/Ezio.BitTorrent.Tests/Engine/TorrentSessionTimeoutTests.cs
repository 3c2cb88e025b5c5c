using System.Diagnostics;
using Ezio.BitTorrent.PeerWire;
using Ezio.TestKit.Engine;
using Ezio.TestKit.Metainfo;
using Ezio.TestKit.PeerWire;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>The request timeout (30 s without a block while requests are out) on a loopback peer.</summary>
public sealed class TorrentSessionTimeoutTests
{
    private const int PieceLength = 256 << 10;

    [Fact]
    public async Task RequestTimeout_PeerThatHadNothingForLongerThanTheTimeout_IsNotDroppedWhenItGetsAPiece()
    {
        var torrent = MemoryTorrent.Create(8 * PieceLength, PieceLength, fileCount: 1, seed: 13);
        var time = new ShiftedTime();
        await using var swarm = new SwarmHarness(torrent);
        var leecher = await swarm.AddLeecherAsync("leecher", time: time);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var token = timeout.Token;
        await using var peer = await WirePeer.ConnectAsync(leecher.EndPoint, torrent.Torrent, token);
        await peer.SendSimpleAsync(MessageId.HaveNone, token);
        await peer.SendSimpleAsync(MessageId.Unchoke, token);

        // The peer has had nothing to give for longer than the request timeout; then it gets a
        // piece and takes half a second (two of the session's ticks) to start sending it.
        time.Shift(TimeSpan.FromSeconds(31));
        var first = true;
        var serving = peer.RunAsync(async message =>
        {
            if (message.Id != MessageId.Request)
            {
                return;
            }
            if (first)
            {
                first = false;
                await Task.Delay(TimeSpan.FromMilliseconds(500), token);
            }
            await peer.SendBlockAsync(torrent.Data, message.Index, message.Begin, message.Length, token);
        }, token);
        await peer.SendHavesAsync([0], token);

        var clock = Stopwatch.StartNew();
        while (leecher.Session.GetStats().PiecesHave == 0 && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20, token);
        }
        var stats = leecher.Session.GetStats();
        Assert.True(stats.PiecesHave == 1 && stats.Peers == 1, $"piece 0 not fetched ({stats.PiecesHave} pieces, {stats.Peers} peers)");
        timeout.Cancel();
        await serving.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>The system clock with timers, its timestamps moved ahead on demand.</summary>
    private sealed class ShiftedTime : TimeProvider
    {
        private long _offset;

        public void Shift(TimeSpan by) => Interlocked.Add(ref _offset, (long)(by.TotalSeconds * TimestampFrequency));

        public override long GetTimestamp() => base.GetTimestamp() + Interlocked.Read(ref _offset);
    }
}
