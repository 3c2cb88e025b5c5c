using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.Storage;
using Ezio.TestKit.Engine;
using Ezio.TestKit.Metainfo;
using Ezio.TestKit.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>
/// BEP 19 web seeds against an in-process HTTP server: range requests, both URL layouts,
/// failures with backoff on a clock that moves only when told, bans for wrong bytes.
/// </summary>
public sealed class WebSeedTests
{
    private const int PieceLength = 64 << 10;
    private const int Pieces = 16;
    private const string Payload = "/images/lab.payload";

    // WebSeedLog event ids: the fetch outcomes a test waits for.
    private const int HashFailedEvent = 130;
    private const int BannedEvent = 131;
    private const int FailedEvent = 132;
    private const int GivenUpEvent = 133;

    // A bound on each wait, never a pause: it fires only when a signal never comes.
    private static readonly TimeSpan _bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task WebSeed_AloneWithRanges_DownloadsEveryPieceByRangeRequests()
    {
        var torrent = MemoryTorrent.Create(Pieces * PieceLength - 1000, PieceLength, fileCount: 5, seed: 1);
        await using var server = new RangeHttpServer(new Dictionary<string, byte[]> { [Payload] = torrent.Data });
        var (session, storage) = await StartAsync(torrent, new ManualTime(), [server.UriOf(Payload)]);
        await using (session)
        {
            await session.Completion.WaitAsync(_bound);

            Assert.Equal(torrent.Data, Contents(storage));
            // One range request per piece, each naming that piece's bytes.
            var requests = server.Requests.ToArray();
            Assert.Equal(torrent.Torrent.PieceCount, requests.Length);
            Assert.Contains($"{Payload} bytes={15 * PieceLength}-{torrent.Data.Length - 1}", requests);
            var seed = Assert.Single(session.GetWebSeeds());
            Assert.Equal(torrent.Data.Length, seed.Downloaded);
            Assert.Equal(torrent.Data.Length, session.GetStats().Downloaded);
            Assert.Null(seed.GivenUp);
        }
    }

    [Fact]
    public async Task WebSeed_FromTheTorrentsUrlList_IsUsedWithoutOptions()
    {
        var torrent = MemoryTorrent.Create(Pieces * PieceLength, PieceLength, fileCount: 3, seed: 10);
        await using var server = new RangeHttpServer(new Dictionary<string, byte[]> { [Payload] = torrent.Data });
        var withUrlList = Torrent.Parse(TorrentBuilder.WithWebSeeds(torrent.Metainfo, [server.UriOf(Payload)]));
        var storage = new MemoryStorage(torrent.Data.Length, mayHaveData: false);
        await using var session = new TorrentSession(withUrlList, storage, new SessionOptions { Trackers = [], Time = new ManualTime() });
        await session.StartAsync();

        await session.Completion.WaitAsync(_bound);

        Assert.Equal(torrent.Data, Contents(storage));
        Assert.Equal(server.UriOf(Payload), Assert.Single(session.GetWebSeeds()).Uri);
        Assert.Equal(torrent.Torrent.PieceCount, server.Requests.Count);
    }

    [Fact]
    public async Task WebSeed_DirectoryUrl_FetchesEachFileUnderTheTorrentName()
    {
        var torrent = MemoryTorrent.Create(Pieces * PieceLength, PieceLength, fileCount: 5, seed: 2);
        var files = torrent.Torrent.Files.ToDictionary(
            f => $"/seeds/{torrent.Torrent.Name}/{string.Join('/', f.PathSegments)}",
            f => torrent.Data.AsSpan((int)f.Offset, (int)f.Length).ToArray());
        await using var server = new RangeHttpServer(files);
        var (session, storage) = await StartAsync(torrent, new ManualTime(), [server.UriOf("/seeds/")]);
        await using (session)
        {
            await session.Completion.WaitAsync(_bound);

            Assert.Equal(torrent.Data, Contents(storage));
            var paths = server.Requests.Select(r => r.Split(' ')[0]).Distinct().ToList();
            Assert.Equal(files.Keys.Order(), paths.Order());
            // Pieces that span a file boundary take one request per file.
            Assert.True(server.Requests.Count > torrent.Torrent.PieceCount, $"{server.Requests.Count} requests for {torrent.Torrent.PieceCount} pieces");
        }
    }

    [Fact]
    public async Task WebSeed_ServerIgnoresRange_IsGivenUpAndPeersFinish()
    {
        var torrent = MemoryTorrent.Create(Pieces * PieceLength, PieceLength, fileCount: 2, seed: 3);
        await using var server = new RangeHttpServer(new Dictionary<string, byte[]> { [Payload] = torrent.Data }) { Mode = RangeServerMode.IgnoreRange };
        await using var swarm = new SwarmHarness(torrent);
        var log = new LogEvents();
        var (session, storage) = await StartAsync(torrent, new ManualTime(), [server.UriOf(Payload)], log);
        await using (session)
        {
            var seed = await SeedAfterAsync(session, log.WhenCountAsync(1, GivenUpEvent));
            Assert.Contains("ignores range requests", seed.GivenUp);
            // The first answer gave it up while the other fetches of its share were on their
            // way: once they are all answered (the server counted each before answering),
            // nothing more may be asked (read earlier, the count missed requests still in
            // flight: a fresh-clone run beside another suite saw 1, then 4).
            while (true)
            {
                await session.SwarmLoopCaughtUpAsync().WaitAsync(_bound);
                if (session.WebSeedFetchesInFlight == 0)
                {
                    break;
                }
                await Task.Yield();
            }
            var asked = server.Requests.Count;

            var seeder = await swarm.AddSeederAsync();
            await swarm.ConnectAsync(session, seeder, CancellationToken.None).WaitAsync(_bound);
            await session.Completion.WaitAsync(_bound);

            Assert.Equal(torrent.Data, Contents(storage));
            Assert.True(asked <= 4, $"{asked} requests before it was given up");
            Assert.Equal(asked, server.Requests.Count);
            Assert.Equal(0, session.GetWebSeeds()[0].Downloaded);
        }
    }

    [Fact]
    public async Task WebSeed_ShortBodies_BacksOffOnTheClockThenRecovers()
    {
        var torrent = MemoryTorrent.Create(Pieces * PieceLength, PieceLength, fileCount: 1, seed: 4);
        await using var server = new RangeHttpServer(new Dictionary<string, byte[]> { [Payload] = torrent.Data }) { Mode = RangeServerMode.ShortBody };
        var time = new ManualTime();
        var log = new LogEvents();
        var (session, storage) = await StartAsync(torrent, time, [server.UriOf(Payload)], log);
        await using (session)
        {
            var failed = await SeedAfterAsync(session, log.WhenCountAsync(4, FailedEvent));
            Assert.Equal(4, failed.Failures);
            Assert.Null(failed.GivenUp);
            Assert.Equal(0, session.GetStats().PiecesHave);

            // Four failures in a row: an 8 s pause. Ticks within it start nothing.
            time.Advance(TimeSpan.FromSeconds(7));
            await session.SwarmLoopCaughtUpAsync().WaitAsync(_bound);
            Assert.Equal(0, session.WebSeedFetchesInFlight);
            Assert.Equal(4, server.Requests.Count);

            server.Mode = RangeServerMode.Ranges;
            time.Advance(TimeSpan.FromSeconds(2));
            await session.Completion.WaitAsync(_bound);

            Assert.Equal(torrent.Data, Contents(storage));
            Assert.Equal(0, session.GetWebSeeds()[0].Failures);
            Assert.Equal(4 + Pieces, server.Requests.Count);
        }
    }

    [Fact]
    public async Task WebSeed_ServerHangs_TimesOutOnTheInjectedClock()
    {
        var torrent = MemoryTorrent.Create(Pieces * PieceLength, PieceLength, fileCount: 1, seed: 5);
        await using var server = new RangeHttpServer(new Dictionary<string, byte[]> { [Payload] = torrent.Data }) { Mode = RangeServerMode.Hang };
        var time = new ManualTime();
        var log = new LogEvents();
        var (session, storage) = await StartAsync(torrent, time, [server.UriOf(Payload)], log);
        await using (session)
        {
            await server.WhenRequestedAsync(4).WaitAsync(_bound);
            // A hanging server fails only when the injected clock says so.
            await session.SwarmLoopCaughtUpAsync().WaitAsync(_bound);
            Assert.Equal(4, session.WebSeedFetchesInFlight);
            Assert.Equal(0, session.GetWebSeeds()[0].Failures);

            time.Advance(TimeSpan.FromSeconds(31));
            var failed = await SeedAfterAsync(session, log.WhenCountAsync(4, FailedEvent));
            Assert.Equal(4, failed.Failures);
            Assert.Null(failed.GivenUp);

            // Four failures: an 8 s pause, from when the fourth was handled (at most 31 s on).
            // The clock moves just past it and well short of the probe's own 30 s deadline: a
            // probe started during a longer move could time out within it, its failure be
            // handled after the move, and its pause then end on a clock that never moves again.
            server.Mode = RangeServerMode.Ranges;
            time.Advance(TimeSpan.FromSeconds(9));
            await session.Completion.WaitAsync(_bound);
            Assert.Equal(torrent.Data, Contents(storage));
        }
    }

    [Fact]
    public async Task WebSeed_FailingEveryTime_IsGivenUpAfterBoundedRetries()
    {
        var torrent = MemoryTorrent.Create(Pieces * PieceLength, PieceLength, fileCount: 1, seed: 6);
        await using var server = new RangeHttpServer(new Dictionary<string, byte[]> { [Payload] = torrent.Data }) { Mode = RangeServerMode.Unavailable };
        var time = new ManualTime();
        var log = new LogEvents();
        var (session, _) = await StartAsync(torrent, time, [server.UriOf(Payload)], log);
        await using (session)
        {
            Assert.Equal(4, (await SeedAfterAsync(session, log.WhenCountAsync(4, FailedEvent))).Failures);
            // After the first four at once, one probe per pause (8, 16, 32, 60 s). The clock
            // moves just past each pause (one 250 ms tick more), never past a probe's own 30 s
            // deadline: a probe started during the move would otherwise time out in it, a
            // failure the server never saw.
            int[] pauses = [8, 16, 32, 60];
            for (var probe = 5; probe <= 8; probe++)
            {
                time.Advance(TimeSpan.FromSeconds(pauses[probe - 5] + 0.25));
                await SeedAfterAsync(session, log.WhenCountAsync(probe, FailedEvent));
                Assert.Equal(probe, server.Requests.Count);
            }
            var seed = session.GetWebSeeds()[0];
            Assert.Contains("8 failures in a row", seed.GivenUp);
            Assert.Contains("503", seed.GivenUp);

            time.Advance(TimeSpan.FromSeconds(300));
            await session.SwarmLoopCaughtUpAsync().WaitAsync(_bound);
            Assert.Equal(0, session.WebSeedFetchesInFlight);
            Assert.Equal(8, server.Requests.Count);
        }
    }

    [Fact]
    public async Task WebSeed_WrongBytes_IsBannedAndItsPiecesAreNeverWritten()
    {
        var torrent = MemoryTorrent.Create(Pieces * PieceLength, PieceLength, fileCount: 3, seed: 7);
        await using var server = new RangeHttpServer(new Dictionary<string, byte[]> { [Payload] = torrent.Data }) { Mode = RangeServerMode.WrongBytes };
        await using var swarm = new SwarmHarness(torrent);
        var log = new LogEvents();
        var (session, storage) = await StartAsync(torrent, new ManualTime(), [server.UriOf(Payload)], log);
        await using (session)
        {
            var banned = await SeedAfterAsync(session, log.WhenCountAsync(1, BannedEvent));
            Assert.StartsWith("banned", banned.GivenUp);
            Assert.True(banned.HashFailures >= 2, $"{banned.HashFailures} hash failures");
            Assert.Equal(0, session.GetStats().PiecesHave);
            Assert.True(session.GetStats().HashFailures >= 2);
            // Fetches started before the ban may still be on their way to the server: the
            // count is settled once the loop has heard every one of them end. Each end of a
            // bad fetch is logged on the loop: while some are out, wait for the next one.
            while (true)
            {
                var ended = log.Count(HashFailedEvent, FailedEvent, GivenUpEvent);
                await session.SwarmLoopCaughtUpAsync().WaitAsync(_bound);
                if (session.WebSeedFetchesInFlight == 0)
                {
                    break;
                }
                await log.WhenCountAsync(ended + 1, HashFailedEvent, FailedEvent, GivenUpEvent).WaitAsync(_bound);
            }
            var asked = server.Requests.Count;

            // Even once it would serve good bytes, a banned seed is not asked again.
            server.Mode = RangeServerMode.Ranges;
            var seeder = await swarm.AddSeederAsync();
            await swarm.ConnectAsync(session, seeder, CancellationToken.None).WaitAsync(_bound);
            await session.Completion.WaitAsync(_bound);

            Assert.Equal(torrent.Data, Contents(storage));
            Assert.Equal(asked, server.Requests.Count);
        }
    }

    [Fact]
    public async Task WebSeed_ServerGone_PeersFinishTheDownload()
    {
        var torrent = MemoryTorrent.Create(Pieces * PieceLength, PieceLength, fileCount: 2, seed: 8);
        var server = new RangeHttpServer(new Dictionary<string, byte[]> { [Payload] = torrent.Data });
        var uri = server.UriOf(Payload);
        await server.StopAsync();
        await using var swarm = new SwarmHarness(torrent);
        var seeder = await swarm.AddSeederAsync();
        var (session, storage) = await StartAsync(torrent, new ManualTime(), [uri]);
        await using (session)
        {
            await swarm.ConnectAsync(session, seeder, CancellationToken.None).WaitAsync(_bound);
            await session.Completion.WaitAsync(_bound);

            Assert.Equal(torrent.Data, Contents(storage));
            var seed = session.GetWebSeeds()[0];
            Assert.Equal(0, seed.Downloaded);
            Assert.True(seed.Failures > 0, "the dead web seed was never tried");
        }
    }

    [Fact]
    public void WebSeed_NotHttp_IsRefusedAtConstruction()
    {
        var torrent = MemoryTorrent.Create(PieceLength, PieceLength, fileCount: 1, seed: 9);
        var options = new SessionOptions { Trackers = [], WebSeeds = [new Uri("ftp://example/x")] };
        var e = Assert.Throws<ArgumentException>(() => new TorrentSession(torrent.Torrent, new MemoryStorage(torrent.Data.Length, mayHaveData: false), options));
        Assert.Contains("http://", e.Message);
    }

    private static async Task<(TorrentSession Session, MemoryStorage Storage)> StartAsync(MemoryTorrent torrent, TimeProvider time, IReadOnlyList<Uri> webSeeds,
        LogEvents? log = null)
    {
        var storage = new MemoryStorage(torrent.Data.Length, mayHaveData: false);
        var session = new TorrentSession(torrent.Torrent, storage, new SessionOptions
        {
            Trackers = [],
            Time = time,
            WebSeeds = webSeeds,
            Logger = (ILogger?)log ?? NullLogger.Instance,
        });
        await session.StartAsync();
        return (session, storage);
    }

    private static byte[] Contents(MemoryStorage storage)
    {
        var bytes = new byte[storage.Length];
        storage.Read(0, bytes);
        return bytes;
    }

    /// <summary>
    /// The web seed once <paramref name="logged"/> (outcomes the swarm loop logs as it handles
    /// them) completes and the loop has finished handling the last of them.
    /// </summary>
    private static async Task<WebSeedStats> SeedAfterAsync(TorrentSession session, Task logged)
    {
        await logged.WaitAsync(_bound);
        await session.SwarmLoopCaughtUpAsync().WaitAsync(_bound);
        return session.GetWebSeeds()[0];
    }
}
