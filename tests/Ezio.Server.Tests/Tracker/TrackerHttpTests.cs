using System.Net;
using Ezio.BitTorrent.Bencoding;
using Ezio.BitTorrent.Metainfo;
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
        var hash = torrent.InfoHash.ToArray();
        var (ok, first) = await GetAsync(server.Http, Query(1, "&event=completed", hash).Replace("left=10", "left=0", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Null(first.GetText("failure reason"));
        var (_, after) = await GetAsync(server.Http, Query(2, "", hash));
        Assert.Equal("deployment is over: 1 clients completed", after.GetText("failure reason"));
    }
}
