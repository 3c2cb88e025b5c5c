using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Ezio.BitTorrent.Bencoding;
using Ezio.Deployment.Contracts;
using Xunit;

namespace Ezio.Server.Tests.Tracker;

public sealed class TrackerHttpTests
{
    private static readonly byte[] Hash = Enumerable.Range(0, 20).Select(i => (byte)(i * 13)).ToArray();

    internal static string Escape(byte[] bytes) => string.Concat(bytes.Select(b => "%" + b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));

    private static string Query(int peer, string extra = "", byte[]? hash = null) =>
        $"/announce?info_hash={Escape(hash ?? Hash)}&peer_id={Escape(AnnounceTrackerTests.PeerId(peer))}&port={6000 + peer}&uploaded=0&downloaded=0&left=10{extra}";

    private static async Task<(HttpStatusCode Status, BencodeDictionary Body)> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return (response.StatusCode, (BencodeDictionary)BencodeValue.Parse(bytes));
    }

    /// <summary>A client of <paramref name="server"/> whose connections come from <paramref name="source"/> (any 127.0.0.0/8 address is local).</summary>
    private static HttpClient ClientFrom(TestServer server, string source)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancel) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancel);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>Registers <paramref name="mac"/> as the agent would, from <paramref name="http"/>'s address (no claimed IP).</summary>
    private static async Task RegisterAsync(HttpClient http, string mac)
    {
        var request = new RegisterRequest(mac, null, null, [new DiskInfo("/dev/sda", null, 1L << 30, null, null, false, true)], 1L << 30, null, null);
        using var response = await http.PostAsJsonAsync(ApiRoutes.Register, request, DeploymentJsonContext.Default.RegisterRequest);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string[] Endpoints(BencodeDictionary body)
    {
        var bytes = body.GetBytes("peers")!.Value.ToArray();
        return bytes.Chunk(6).Select(p => $"{p[0]}.{p[1]}.{p[2]}.{p[3]}:{(p[4] << 8) | p[5]}").ToArray();
    }

    [Fact]
    public async Task Announce_Compact_SixBytesPerPeer()
    {
        await using var server = await TestServer.StartAsync();
        await GetAsync(server.Http, Query(1, "&event=started&compact=1"));
        var (status, body) = await GetAsync(server.Http, Query(2, "&compact=1"));
        Assert.Equal(HttpStatusCode.OK, status);
        var peers = body.GetBytes("peers")!.Value.ToArray();
        Assert.Equal([127, 0, 0, 1, 6001 >> 8, 6001 & 0xff], peers);
        Assert.Equal(60, body.GetInteger("interval"));
        Assert.Equal(2, body.GetInteger("incomplete"));
    }

    [Fact]
    public async Task Announce_NonCompact_ListOfDictionaries()
    {
        await using var server = await TestServer.StartAsync();
        await GetAsync(server.Http, Query(1));
        var (_, body) = await GetAsync(server.Http, Query(2, "&compact=0"));
        var peer = (BencodeDictionary)body.GetList("peers")!.Items.Single();
        Assert.Equal("127.0.0.1", peer.GetText("ip"));
        Assert.Equal(6001, peer.GetInteger("port"));
        Assert.Equal(AnnounceTrackerTests.PeerId(1), peer.GetBytes("peer id")!.Value.ToArray());
        var (_, noId) = await GetAsync(server.Http, Query(2, "&compact=0&no_peer_id=1"));
        Assert.False(((BencodeDictionary)noId.GetList("peers")!.Items.Single()).Entries.ContainsKey("peer id"));
    }

    [Theory]
    [InlineData("/announce", "missing info_hash")]
    [InlineData("/announce?info_hash=%01%02&peer_id=-TT0001-000000000001&port=6881", "info_hash must be 20 bytes")]
    [InlineData("/announce?info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=short&port=6881", "peer_id must be 20 bytes")]
    [InlineData("/announce?info_hash=aaaaaaaaaaaaaaaaaaaa&port=6881", "missing peer_id")]
    [InlineData("/announce?info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-TT0001-000000000001&port=0", "port must be 1-65535")]
    [InlineData("/announce?info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-TT0001-000000000001&port=65536", "port must be 1-65535")]
    [InlineData("/announce?info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-TT0001-000000000001", "port must be 1-65535")]
    [InlineData("/announce?info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-TT0001-000000000001&port=1&left=-5", "uploaded, downloaded and left must be non-negative integers")]
    [InlineData("/announce?info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-TT0001-000000000001&port=1&event=explode", "unknown event")]
    public async Task Announce_Malformed_400WithFailureReason(string path, string reason)
    {
        await using var server = await TestServer.StartAsync();
        var (status, body) = await GetAsync(server.Http, path);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(reason, body.GetText("failure reason"));
        // The server keeps serving.
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(server.Http, Query(1))).Status);
    }

    [Fact]
    public async Task Scrape_AfterCompleted_CountsDownloaded()
    {
        await using var server = await TestServer.StartAsync();
        await GetAsync(server.Http, Query(1, "&event=started"));
        await GetAsync(server.Http, Query(2, "&event=completed").Replace("left=10", "left=0", StringComparison.Ordinal));
        var (status, body) = await GetAsync(server.Http, "/scrape?info_hash=" + Escape(Hash));
        Assert.Equal(HttpStatusCode.OK, status);
        var files = body.GetDictionary("files")!;
        var entry = (BencodeDictionary)files.Entries.Values.Single();
        Assert.Equal(1, entry.GetInteger("complete"));
        Assert.Equal(1, entry.GetInteger("incomplete"));
        Assert.Equal(1, entry.GetInteger("downloaded"));
    }

    [Fact]
    public async Task Announce_AfterDeploymentStopRule_JobOver()
    {
        var dirs = new TestDirs();
        var torrent = dirs.AddImage("img");
        await using var server = await TestServer.StartAsync(dirs);
        await server.DeployAsync(new(torrent.Name.Replace(".img", "", StringComparison.Ordinal), ["52:54:00:00:00:01"], StopAfterCompleted: 1));
        await RegisterAsync(server.Http, "52:54:00:00:00:01");
        var hash = torrent.InfoHash.ToArray();
        var (ok, first) = await GetAsync(server.Http, Query(1, "&event=completed", hash).Replace("left=10", "left=0", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Null(first.GetText("failure reason"));
        var (_, after) = await GetAsync(server.Http, Query(2, "", hash));
        Assert.Equal("deployment is over: 1 clients completed", after.GetText("failure reason"));
    }

    [Fact]
    public async Task Announce_ForgedCompletionsFromAnotherHost_DoNotCloseATwoMachineSwarm()
    {
        var dirs = new TestDirs();
        var torrent = dirs.AddImage("img");
        await using var server = await TestServer.StartAsync(dirs);
        await server.DeployAsync(new("img", ["52:54:00:00:00:01", "52:54:00:00:00:02"]));
        using var pc1 = ClientFrom(server, "127.0.0.11");
        using var pc2 = ClientFrom(server, "127.0.0.12");
        using var forger = ClientFrom(server, "127.0.0.66");
        await RegisterAsync(pc1, "52:54:00:00:00:01");
        await RegisterAsync(pc2, "52:54:00:00:00:02");
        var hash = torrent.InfoHash.ToArray();
        await GetAsync(pc1, Query(1, "&event=started", hash));
        await GetAsync(pc2, Query(2, "&event=started", hash));

        foreach (var fake in new[] { 901, 902 })
        {
            var (status, body) = await GetAsync(forger, Query(fake, "&event=completed", hash).Replace("left=10", "left=0", StringComparison.Ordinal));
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Null(body.GetText("failure reason"));
        }

        var (_, still) = await GetAsync(pc1, Query(1, "", hash));
        Assert.Null(still.GetText("failure reason"));
        Assert.Contains("127.0.0.12:6002", Endpoints(still));
        // The two machines themselves end it.
        await GetAsync(pc1, Query(1, "&event=completed", hash).Replace("left=10", "left=0", StringComparison.Ordinal));
        await GetAsync(pc2, Query(2, "&event=completed", hash).Replace("left=10", "left=0", StringComparison.Ordinal));
        var (_, over) = await GetAsync(pc1, Query(1, "", hash));
        Assert.Equal("deployment is over: 2 clients completed", over.GetText("failure reason"));
    }

    [Fact]
    public async Task Announce_FiveThousandFakePeersFromOneHost_MachinesStillListEachOther()
    {
        var dirs = new TestDirs();
        var torrent = dirs.AddImage("img");
        await using var server = await TestServer.StartAsync(dirs);
        string[] macs = ["52:54:00:00:00:01", "52:54:00:00:00:02", "52:54:00:00:00:03"];
        await server.DeployAsync(new("img", macs));
        var machines = new List<HttpClient>();
        try
        {
            var hash = torrent.InfoHash.ToArray();
            for (var i = 0; i < macs.Length; i++)
            {
                machines.Add(ClientFrom(server, $"127.0.0.{11 + i}"));
                await RegisterAsync(machines[i], macs[i]);
            }
            using var flood = ClientFrom(server, "127.0.0.66");
            for (var i = 0; i < 5000; i++)
            {
                var (status, _) = await GetAsync(flood, Query(10_000 + i, "&event=started", hash));
                Assert.Equal(HttpStatusCode.OK, status);
            }
            for (var i = 0; i < macs.Length; i++)
            {
                var (status, body) = await GetAsync(machines[i], Query(1 + i, "&event=started", hash));
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Null(body.GetText("failure reason"));
            }

            var (_, answer) = await GetAsync(machines[0], Query(1, "&numwant=3", hash));
            var peers = Endpoints(answer).Where(p => !p.EndsWith($":{server.PeerPort}", StringComparison.Ordinal)).ToArray();
            Assert.Equal(["127.0.0.12:6002", "127.0.0.13:6003"], peers.Take(2).Order());
            // Of the 5,000, the tracker kept a few: 3 machines plus those are all it lists.
            Assert.Equal(3 + 4, answer.GetInteger("complete") + answer.GetInteger("incomplete"));
        }
        finally
        {
            machines.ForEach(m => m.Dispose());
        }
    }
}
