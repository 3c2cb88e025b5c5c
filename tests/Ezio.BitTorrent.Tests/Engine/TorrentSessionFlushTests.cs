using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.Storage;
using Ezio.TestKit.Storage;
using Ezio.TestKit.Metainfo;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>
/// Complete means flushed: a resume whose recheck finds every piece (written by an earlier run
/// in the same boot, maybe never flushed) still flushes before it reports done.
/// </summary>
public sealed class TorrentSessionFlushTests
{
    private const int PieceLength = 64 << 10;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Recheck_EveryPiecePresent_FlushesBeforeComplete(bool recheckBeforeStart)
    {
        var torrent = MemoryTorrent.Create(10 * PieceLength - 777, PieceLength, fileCount: 1, seed: 21);
        using var storage = new FlushCountingStorage(MemoryStorage.FromBytes(torrent.Data));
        await using var session = new TorrentSession(torrent.Torrent, storage, new SessionOptions
        {
            Trackers = [],
            RecheckBeforeStart = recheckBeforeStart,
        });

        await session.StartAsync();
        await session.Completion.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(torrent.Torrent.PieceCount, session.GetStats().PiecesHave);
        Assert.Equal(0, session.GetStats().Written);
        Assert.Equal(1, storage.FlushesBeforeComplete(session));
    }

    /// <summary>Counts flushes, and remembers how many had happened when completion was first seen.</summary>
    private sealed class FlushCountingStorage(ITorrentStorage inner) : ForwardingStorage(inner)
    {
        private int _flushes;

        public override void Flush()
        {
            Inner.Flush();
            Interlocked.Increment(ref _flushes);
        }

        /// <summary>Flushes counted once the session says complete (the flush must come first).</summary>
        public int FlushesBeforeComplete(TorrentSession session) => session.IsComplete ? Volatile.Read(ref _flushes) : -1;
    }
}
