using System.Net.Http.Json;
using Ezio.BitTorrent.Tests.Trackers;
using Ezio.Deployment.Contracts;
using Ezio.TestKit.Processes;
using Xunit;

namespace Ezio.Server.Tests.Interop;

/// <summary>
/// A real opentracker standing in for the built-in tracker ("trackers" in the server config):
/// jobs name it, the server's seeder announces there, and a client that knows only that
/// tracker downloads the image from the server's seeder.
/// </summary>
public sealed class ExternalTrackerTests
{
    [OpentrackerFact]
    public async Task Trackers_Opentracker_JobNamesItAndTheSeederAnnouncesThere()
    {
        var dirs = new TestDirs();
        var torrent = dirs.AddImage("lab", length: 1_000_000);
        using var opentracker = await Opentracker.StartAsync(torrent.InfoHash);
        var announce = $"http://127.0.0.1:{opentracker.Port}/announce";
        await using var server = await TestServer.StartAsync(dirs, o => o.Trackers = [announce]);
        await server.DeployAsync(new("lab", ["52:54:00:00:00:01"], StopAfterCompleted: -1));

        using (var response = await server.Http.PostAsJsonAsync(ApiRoutes.Register,
            new RegisterRequest("52:54:00:00:00:01", "127.0.0.1", "pc1", [], 4L << 30, "boot-1", "0.1"), DeploymentJsonContext.Default.RegisterRequest))
        {
            var registered = await response.Content.ReadFromJsonAsync(DeploymentJsonContext.Default.RegisterResponse);
            Assert.Equal([announce], registered!.Job!.Trackers);
        }

        // Another client of opentracker is told where the server's seeder listens (bounded: the
        // seeder hashes the image first, then announces).
        var seederPeer = new byte[] { 127, 0, 0, 1, (byte)(server.PeerPort >> 8), (byte)server.PeerPort };
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var query = "?info_hash=" + Escape(torrent.InfoHash.ToArray()) + "&peer_id=" + Escape("-TT0001-000000000009"u8.ToArray())
            + "&port=6999&uploaded=0&downloaded=0&left=1000000&compact=1&event=started";
        var listed = false;
        for (var deadline = DateTime.UtcNow.AddSeconds(30); !listed && DateTime.UtcNow < deadline;)
        {
            var body = await http.GetByteArrayAsync(announce + query);
            listed = body.AsSpan().IndexOf(seederPeer) >= 0;
            if (!listed)
            {
                await Task.Delay(200);
            }
        }
        Assert.True(listed, "opentracker never listed the server's seeder at 127.0.0.1:" + server.PeerPort + "\n" + opentracker.Output);
    }

    private static string Escape(byte[] bytes) => string.Concat(bytes.Select(b => "%" + b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
}
