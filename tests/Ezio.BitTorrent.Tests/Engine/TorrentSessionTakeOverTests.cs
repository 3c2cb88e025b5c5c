using System.Diagnostics;
using Ezio.BitTorrent.PeerWire;
using Ezio.TestKit.Engine;
using Ezio.TestKit.Metainfo;
using Ezio.TestKit.PeerWire;
using Xunit;
using Xunit.Abstractions;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>
/// A downloading session between two fake seeds on loopback: pieces queued at a seed that
/// stopped answering move to the one that still does.
/// </summary>
public sealed class TorrentSessionTakeOverTests
{
    private const int PieceLength = 256 << 10;
    private const int BlockSize = 16 << 10;

    private readonly ITestOutputHelper _output;

    public TorrentSessionTakeOverTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task TryTakeOver_SeedStallsWithPiecesQueued_IdleSeedSendsThemAndTheDownloadCompletes()
    {
        var torrent = MemoryTorrent.Create(128 * PieceLength, PieceLength, fileCount: 3, seed: 7);
        await using var swarm = new SwarmHarness(torrent);
        var leecher = await swarm.AddLeecherAsync("leecher");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var token = timeout.Token;

        // The first seed takes 16 requests at a time and answers at 8 MiB/s for 1.5 s: by
        // then the session queues pieces at it beyond those requests (half a second of its
        // rate, some 16 pieces). Then it goes silent with those pieces untouched.
        await using var stalling = await WirePeer.ConnectAsync(leecher.EndPoint, torrent.Torrent, token, requestQueue: 16);
        Stopwatch? answering = null;
        var due = TimeSpan.Zero;
        var stallingLoop = ServeAsync(stalling, torrent.Data, async () =>
        {
            answering ??= Stopwatch.StartNew();
            if (answering.Elapsed >= TimeSpan.FromSeconds(1.5))
            {
                return false;
            }
            // Paced by the total so far, so the timer's coarse steps do not lower the rate,
            // but never in a burst to catch up after a pause: the rate must be steady.
            due = TimeSpan.FromTicks(Math.Max(due.Ticks, answering.Elapsed.Ticks - TimeSpan.TicksPerMillisecond * 20))
                + TimeSpan.FromSeconds((double)BlockSize / (8 << 20));
            if (due > answering.Elapsed)
            {
                await Task.Delay(due - answering.Elapsed, token);
            }
            return true;
        }, token);
        await Task.Delay(TimeSpan.FromSeconds(2.5), token);

        // The second seed answers at once; once nothing is left that nobody fetches, it
        // takes over the stalled seed's queue. Without that, more pieces than the endgame
        // covers would wait for the 30 s request timeout.
        await using var fast = await WirePeer.ConnectAsync(leecher.EndPoint, torrent.Torrent, token);
        var fastLoop = ServeAsync(fast, torrent.Data, () => Task.FromResult(true), token);
        await swarm.WaitForCompletionAsync([leecher], TimeSpan.FromSeconds(20));
        var stats = leecher.Session.GetStats();
        _output.WriteLine($"{stats.PiecesTakenOver} pieces taken over\n{swarm.Describe()}");

        Assert.True(torrent.Data.AsSpan().SequenceEqual(leecher.Contents()));
        Assert.True(stats.PiecesTakenOver > 0, "no piece was taken over from the stalled seed");
        timeout.Cancel();
        await Task.WhenAll(stallingLoop, fastLoop);
    }

    /// <summary>A seed: has all, unchokes, and answers each request while <paramref name="answer"/> says so.</summary>
    private static async Task ServeAsync(WirePeer peer, byte[] data, Func<Task<bool>> answer, CancellationToken token)
    {
        await peer.SendSimpleAsync(MessageId.HaveAll, token);
        await peer.SendSimpleAsync(MessageId.Unchoke, token);
        await peer.RunAsync(async message =>
        {
            if (message.Id == MessageId.Request && await answer())
            {
                await peer.SendBlockAsync(data, message.Index, message.Begin, message.Length, token);
            }
        }, token);
    }
}
