using Ezio.TestKit.Net;
using Ezio.TestKit.Processes;
using Xunit;

namespace Ezio.Server.Tests.Interop;

/// <summary>python3-libtorrent announces to our tracker and downloads from our seeder.</summary>
public sealed class LibtorrentTests
{
    [ToolFact("libtorrent")]
    public async Task Libtorrent_AnnouncesAndDownloads_FromServer()
    {
        var dirs = new TestDirs();
        var torrent = dirs.AddImage("lab", length: 1_000_000);
        await using var server = await TestServer.StartAsync(dirs);
        await server.DeployAsync(new("lab", ["52:54:00:00:00:01"]));
        await WaitForSeederAsync(server);

        var save = Directory.CreateDirectory(Path.Combine(dirs.Root, "lt")).FullName;
        // Told of no peer: only our tracker can lead it to the server's seeder.
        using var leecher = Libtorrent.StartLeech(Path.Combine(dirs.Repo, "lab", "lab.torrent"), save, FreePort.Next(),
            trackers: [new Uri(server.BaseAddress, "/announce").ToString()]);
        await leecher.ExpectSuccessAsync(TimeSpan.FromSeconds(90));
        Assert.Contains("tracker reply:", leecher.Stderr);
        Assert.Contains("DONE", leecher.Stdout);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(dirs.Repo, "lab", "data")), await File.ReadAllBytesAsync(Path.Combine(save, torrent.Name)));
    }

    /// <summary>The seeder hashes the image before it is listed; wait for that (bounded).</summary>
    internal static async Task WaitForSeederAsync(TestServer server)
    {
        var tracker = (Ezio.Server.Tracker.AnnounceTracker)server.Services.GetService(typeof(Ezio.Server.Tracker.AnnounceTracker))!;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (tracker.ScrapeAll().Count > 0 && server.PeerPort != 0 && await SeederPinnedAsync(server))
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("the server did not start seeding within 30 s");
    }

    private static async Task<bool> SeederPinnedAsync(TestServer server)
    {
        // An announce with numwant=1 returns the pinned seeder first once it is listed.
        var hash = TrackerHash(server);
        var query = $"/announce?info_hash={Tracker.TrackerHttpTests.Escape(hash)}&peer_id=-PROBE0-000000000000&port=1&left=1&event=stopped&numwant=1";
        using var response = await server.Http.GetAsync(query);
        var probe = $"/announce?info_hash={Tracker.TrackerHttpTests.Escape(hash)}&peer_id=-PROBE0-000000000000&port=1&left=1&numwant=5";
        var body = (Ezio.BitTorrent.Bencoding.BencodeDictionary)Ezio.BitTorrent.Bencoding.BencodeValue.Parse(await server.Http.GetByteArrayAsync(probe));
        await server.Http.GetAsync(query);
        var peers = body.GetBytes("peers")!.Value;
        return peers.Length >= 6 && (peers.Span[4] << 8 | peers.Span[5]) == server.PeerPort;
    }

    private static byte[] TrackerHash(TestServer server)
    {
        var manager = (Ezio.Server.Deployments.DeploymentManager)server.Services.GetService(typeof(Ezio.Server.Deployments.DeploymentManager))!;
        return Convert.FromHexString(manager.OpenDeployments()[0].InfoHash);
    }
}
