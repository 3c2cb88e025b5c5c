using Ezio.TestKit.Processes;
using Xunit;

namespace Ezio.Server.Tests.Interop;

/// <summary>python3-libtorrent announces to our tracker and downloads from our seeder.</summary>
public sealed class LibtorrentTests
{
    private const string Script = """
        import sys, time
        import libtorrent as lt
        torrent, save, tracker = sys.argv[1:4]
        ses = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,
                          'enable_upnp': False, 'enable_natpmp': False, 'allow_multiple_connections_per_ip': True,
                          'alert_mask': lt.alert.category_t.all_categories})
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(torrent)
        atp.save_path = save
        atp.trackers = [tracker]
        h = ses.add_torrent(atp)
        deadline = time.time() + 60
        while time.time() < deadline:
            for a in ses.pop_alerts():
                if isinstance(a, (lt.tracker_reply_alert, lt.tracker_error_alert, lt.tracker_warning_alert)):
                    print(type(a).__name__, a.message(), flush=True)
            if h.status().is_seeding:
                print('seeding', flush=True)
                h.force_reannounce()
                time.sleep(1)
                for a in ses.pop_alerts():
                    if isinstance(a, (lt.tracker_reply_alert, lt.tracker_error_alert)):
                        print(type(a).__name__, a.message(), flush=True)
                sys.exit(0)
            time.sleep(0.2)
        print('timeout', h.status().state, h.status().progress, flush=True)
        sys.exit(1)
        """;

    [ToolFact("libtorrent")]
    public async Task Libtorrent_AnnouncesAndDownloads_FromServer()
    {
        var dirs = new TestDirs();
        var torrent = dirs.AddImage("lab", length: 1_000_000);
        await using var server = await TestServer.StartAsync(dirs);
        await server.DeployAsync(new("lab", ["52:54:00:00:00:01"]));
        await WaitForSeederAsync(server);

        var save = Directory.CreateDirectory(Path.Combine(dirs.Root, "lt")).FullName;
        var script = Path.Combine(dirs.Root, "lt.py");
        await File.WriteAllTextAsync(script, Script);
        using var leecher = ChildProcess.Start(Tools.Require("libtorrent"),
            [script, Path.Combine(dirs.Repo, "lab", "lab.torrent"), save, new Uri(server.BaseAddress, "/announce").ToString()]);
        await leecher.ExpectSuccessAsync(TimeSpan.FromSeconds(90));
        Assert.Contains("tracker_reply_alert", leecher.Stdout);
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
