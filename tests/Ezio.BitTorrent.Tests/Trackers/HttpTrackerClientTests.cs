using System.Net;
using System.Net.Sockets;
using System.Text;
using Ezio.BitTorrent.Trackers;
using Xunit;

namespace Ezio.BitTorrent.Tests.Trackers;

public sealed class HttpTrackerClientTests
{
    private static readonly string CompactTwoPeers =
        "d8:completei3e10:incompletei4e8:intervali1800e12:min intervali60e5:peers12:"
        + "\x0A\x00\x00\x01\x1A\xE1" + "\xC0\xA8\x01\x02\x1A\xE2" + "e";

    [Fact]
    public async Task AnnounceAsync_CompactResponse_SendsEscapedQueryAndParsesPeers()
    {
        await using var tracker = new FakeHttpTracker(CompactTwoPeers);
        using var client = TrackerClientFactory.Create(tracker.Announce);

        AnnounceResponse response = await client.AnnounceAsync(TrackerTestData.Request(), CancellationToken.None);

        string requestLine = await tracker.RequestLine;
        Assert.StartsWith("GET /announce?", requestLine);
        Dictionary<string, string> query = TrackerTestData.QueryOf(requestLine);
        Assert.Equal(TrackerTestData.AwkwardInfoHash, TrackerTestData.PercentDecode(query["info_hash"]));
        Assert.Equal(TrackerTestData.PeerId, TrackerTestData.PercentDecode(query["peer_id"]));
        // Nothing that a server would split or decode differently may appear unescaped.
        Assert.DoesNotContain('+', query["info_hash"]);
        Assert.Equal("6881", query["port"]);
        Assert.Equal("11", query["uploaded"]);
        Assert.Equal("22", query["downloaded"]);
        Assert.Equal("1234", query["left"]);
        Assert.Equal("1", query["compact"]);
        Assert.Equal("50", query["numwant"]);
        Assert.Equal("started", query["event"]);

        Assert.Null(response.FailureReason);
        Assert.Equal([new IPEndPoint(IPAddress.Parse("10.0.0.1"), 6881), new IPEndPoint(IPAddress.Parse("192.168.1.2"), 6882)], response.Peers);
        Assert.Equal(TimeSpan.FromSeconds(1800), response.Interval);
        Assert.Equal(TimeSpan.FromSeconds(60), response.MinInterval);
        Assert.Equal(3, response.Complete);
        Assert.Equal(4, response.Incomplete);
    }

    [Theory]
    [InlineData(TrackerEvent.None, null)]
    [InlineData(TrackerEvent.Completed, "completed")]
    [InlineData(TrackerEvent.Stopped, "stopped")]
    public async Task AnnounceAsync_Event_AppearsOnlyWhenSet(TrackerEvent trackerEvent, string? expected)
    {
        await using var tracker = new FakeHttpTracker("d8:intervali900e5:peers0:e");
        using var client = TrackerClientFactory.Create(tracker.Announce);

        await client.AnnounceAsync(TrackerTestData.Request(trackerEvent), CancellationToken.None);

        Dictionary<string, string> query = TrackerTestData.QueryOf(await tracker.RequestLine);
        Assert.Equal(expected, query.GetValueOrDefault("event"));
    }

    [Fact]
    public void BuildAnnounceUri_AnnounceHasQuery_AppendsWithAmpersandAndDropsFragment()
    {
        Uri uri = HttpTrackerClient.BuildAnnounceUri(new Uri("http://t.example/announce?passkey=abc#frag"), TrackerTestData.Request());

        Assert.StartsWith("http://t.example/announce?passkey=abc&info_hash=", uri.AbsoluteUri);
        Assert.DoesNotContain("#", uri.AbsoluteUri);
    }

    [Fact]
    public async Task AnnounceAsync_FailureReason_ReturnsItWithoutThrowing()
    {
        await using var tracker = new FakeHttpTracker("d14:failure reason17:torrent not founde");
        using var client = TrackerClientFactory.Create(tracker.Announce);

        AnnounceResponse response = await client.AnnounceAsync(TrackerTestData.Request(), CancellationToken.None);

        Assert.Equal("torrent not found", response.FailureReason);
        Assert.Empty(response.Peers);
    }

    [Fact]
    public async Task AnnounceAsync_Http400WithGarbageBody_ThrowsNamingStatus()
    {
        await using var tracker = new FakeHttpTracker("d14:failure reason6:banned4:e", "400 Bad Request");
        using var client = TrackerClientFactory.Create(tracker.Announce);

        // The body above is malformed on purpose ("6:banned4:" then 'e'), so the status code must win.
        var error = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(TrackerTestData.Request(), CancellationToken.None));
        Assert.Contains("400", error.Message);
        Assert.Contains(tracker.Announce.ToString(), error.Message);
    }

    [Fact]
    public async Task AnnounceAsync_Http403WithBencodedFailure_ReturnsFailureReason()
    {
        await using var tracker = new FakeHttpTracker("d14:failure reason6:bannede", "403 Forbidden");
        using var client = TrackerClientFactory.Create(tracker.Announce);

        AnnounceResponse response = await client.AnnounceAsync(TrackerTestData.Request(), CancellationToken.None);

        Assert.Equal("banned", response.FailureReason);
    }

    [Fact]
    public async Task AnnounceAsync_WarningMessage_IsReturnedWithPeers()
    {
        await using var tracker = new FakeHttpTracker("d8:intervali60e5:peers6:\x7F\x00\x00\x01\x00\x50" + "15:warning message9:slow downe");
        using var client = TrackerClientFactory.Create(tracker.Announce);

        AnnounceResponse response = await client.AnnounceAsync(TrackerTestData.Request(), CancellationToken.None);

        Assert.Equal("slow down", response.WarningMessage);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 80)], response.Peers);
    }

    [Fact]
    public async Task AnnounceAsync_ListOfDictionaries_ParsesPeers()
    {
        await using var tracker = new FakeHttpTracker(
            "d8:intervali60e5:peersld2:ip8:10.1.2.37:peer id20:aaaaaaaaaaaaaaaaaaaa4:porti51413eed2:ip3:::14:porti6881eeee");
        using var client = TrackerClientFactory.Create(tracker.Announce);

        AnnounceResponse response = await client.AnnounceAsync(TrackerTestData.Request(), CancellationToken.None);

        Assert.Equal([new IPEndPoint(IPAddress.Parse("10.1.2.3"), 51413), new IPEndPoint(IPAddress.IPv6Loopback, 6881)], response.Peers);
    }

    [Theory]
    [InlineData("<html>502 Bad Gateway</html>")]
    [InlineData("")]
    [InlineData("d8:intervali60e5:peers7:\x01\x02\x03\x04\x05\x06\x07" + "e")]
    [InlineData("d8:intervali60e5:peers12:\x01\x02\x03\x04\x05\x06")]
    [InlineData("d8:intervali60e")]
    public async Task AnnounceAsync_GarbageBody_ThrowsTrackerExceptionNamingTracker(string body)
    {
        await using var tracker = new FakeHttpTracker(body);
        using var client = TrackerClientFactory.Create(tracker.Announce);

        var error = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(TrackerTestData.Request(), CancellationToken.None));

        Assert.Contains(tracker.Announce.ToString(), error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task AnnounceAsync_OversizedChunkedBody_ThrowsTrackerException()
    {
        var body = Encoding.ASCII.GetBytes("d5:peers" + (HttpTrackerClient.MaxResponseBytes + 6) + ":");
        Array.Resize(ref body, HttpTrackerClient.MaxResponseBytes + 64);
        await using var tracker = new FakeHttpTracker(body, sendContentLength: false);
        using var client = TrackerClientFactory.Create(tracker.Announce);

        var error = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(TrackerTestData.Request(), CancellationToken.None));

        Assert.Contains("larger than", error.Message);
    }

    [Fact]
    public async Task AnnounceAsync_NothingListening_ThrowsTrackerException()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var client = TrackerClientFactory.Create(new Uri($"http://127.0.0.1:{port}/announce"));

        var error = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(TrackerTestData.Request(), CancellationToken.None));

        Assert.Contains($"127.0.0.1:{port}", error.Message);
    }

    [Fact]
    public async Task AnnounceAsync_SilentServer_TimesOutWithTrackerException()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var uri = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/announce");
            using var client = new HttpTrackerClient(uri, TimeSpan.FromMilliseconds(300));

            var error = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(TrackerTestData.Request(), CancellationToken.None));

            Assert.Contains("did not answer", error.Message);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task AnnounceAsync_CallerCancels_ThrowsOperationCanceled()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var uri = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/announce");
            using var client = TrackerClientFactory.Create(uri);
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.AnnounceAsync(TrackerTestData.Request(), cancel.Token));
        }
        finally
        {
            listener.Stop();
        }
    }

    [Theory]
    [InlineData("http://t.example/announce", typeof(HttpTrackerClient))]
    [InlineData("https://t.example/announce", typeof(HttpTrackerClient))]
    [InlineData("udp://t.example:6969/announce", typeof(UdpTrackerClient))]
    public void Create_SupportedScheme_ReturnsMatchingClient(string url, Type expected)
    {
        using ITrackerClient client = TrackerClientFactory.Create(new Uri(url));

        Assert.IsType(expected, client);
        Assert.Equal(new Uri(url), client.Uri);
    }

    [Theory]
    [InlineData("wss://t.example/announce")]
    [InlineData("ftp://t.example/announce")]
    [InlineData("udp://t.example/announce")]
    public void Create_UnsupportedUrl_ThrowsArgumentException(string url)
    {
        var error = Assert.Throws<ArgumentException>(() => TrackerClientFactory.Create(new Uri(url)));

        Assert.Contains("t.example", error.Message);
    }
}
