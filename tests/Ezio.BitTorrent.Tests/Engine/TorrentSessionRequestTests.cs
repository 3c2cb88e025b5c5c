using Ezio.BitTorrent.PeerWire;
using Ezio.TestKit.Engine;
using Ezio.TestKit.Metainfo;
using Ezio.TestKit.PeerWire;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>
/// What a leecher asks a fake seed over a memory link for, with the leecher's swarm loop held still
/// at a chosen moment so that the order of its events is fixed.
/// </summary>
public sealed class TorrentSessionRequestTests
{
    private const int PieceLength = 16 << 10;

    [Fact]
    public async Task Endgame_PieceReceivedWholeBeforeItsHashIsHeard_IsNotRequestedAgainFromThatPeer()
    {
        // Four pieces of one block each, all from one seed: once all four are asked for, the
        // leecher is in endgame and the seed is hungry (nothing left to give it).
        var torrent = MemoryTorrent.Create(4 * PieceLength, PieceLength, fileCount: 1, seed: 21);
        using var logger = new HoldingLogger();
        await using var swarm = new SwarmHarness(torrent);
        // No tick: only the events below make the swarm loop look for work.
        var leecher = await swarm.AddLeecherAsync("leecher", time: new TimerlessTime(), logger: logger);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var token = timeout.Token;

        await using var seed = await swarm.AttachPeerAsync(leecher, token);
        var requests = new List<int>();
        bool Track(WireMessage message)
        {
            if (message.Id == MessageId.Request)
            {
                requests.Add(message.Index);
            }
            return false;
        }
        await seed.SendSimpleAsync(MessageId.HaveAll, token);
        await seed.SendSimpleAsync(MessageId.Unchoke, token);
        await seed.ReceiveUntilAsync(m => Track(m) || requests.Distinct().Count() == 4, token);

        // A second peer comes and goes; the swarm loop is held while it logs the close, before
        // it looks for work for the hungry seed.
        await using (var other = await swarm.AttachPeerAsync(leecher, token))
        {
            await other.ReceiveUntilAsync(m => m.Id == MessageId.HaveNone, token);
            logger.HoldNextClose();
        }
        await logger.Holding.WaitAsync(token);

        // Meanwhile piece 1 arrives whole. The leecher rejects a request sent behind it (it
        // has nothing to upload): once the reject is back, its receive loop has taken the
        // piece out of its downloads, and the hash it posts waits behind the close.
        await seed.SendBlockAsync(torrent.Data, 1, 0, PieceLength, token);
        await seed.SendRequestAsync(0, 0, PieceLength, token);
        await seed.ReceiveUntilAsync(m => Track(m) || m.Id == MessageId.RejectRequest, token);
        logger.Release();

        // The rest is served as asked; the leecher closes the connection once it is complete
        // (both sides are seeds), so every request it sent has been read when this ends.
        var serving = seed.RunAsync(async message =>
        {
            Track(message);
            if (message.Id == MessageId.Request)
            {
                await seed.SendBlockAsync(torrent.Data, message.Index, message.Begin, message.Length, token);
            }
        }, token);
        foreach (var index in new[] { 0, 2, 3 })
        {
            await seed.SendBlockAsync(torrent.Data, index, 0, PieceLength, token);
        }
        await leecher.Session.Completion.WaitAsync(token);
        await serving.WaitAsync(token);

        Assert.True(torrent.Data.AsSpan().SequenceEqual(leecher.Contents()));
        // Without the rule the hungry seed is handed piece 1 again in endgame (the picker
        // still counts it as owned, not yet busy) and asked for the whole piece a second time.
        Assert.Equal(1, requests.Count(i => i == 1));
    }

    /// <summary>Holds the thread that logs the next peer close until released (20 s at most).</summary>
    private sealed class HoldingLogger : ILogger, IDisposable
    {
        // TorrentSessionLog.PeerClosed.
        private const int PeerClosedEvent = 102;

        private readonly TaskCompletionSource _holding = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ManualResetEventSlim _release = new();
        private int _armed;

        /// <summary>Completes when the logging thread is held.</summary>
        public Task Holding => _holding.Task;

        public void HoldNextClose() => Volatile.Write(ref _armed, 1);

        public void Release() => _release.Set();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == PeerClosedEvent && Interlocked.Exchange(ref _armed, 0) == 1)
            {
                _holding.TrySetResult();
                _release.Wait(TimeSpan.FromSeconds(20));
            }
        }

        public void Dispose()
        {
            _release.Set();
            _release.Dispose();
        }
    }
}
