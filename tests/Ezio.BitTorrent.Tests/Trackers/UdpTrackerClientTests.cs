using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using Ezio.BitTorrent.Trackers;
using Xunit;

namespace Ezio.BitTorrent.Tests.Trackers;

public sealed class UdpTrackerClientTests
{
    private const long ConnectionId = 0x0123_4567_89AB_CDEF;

    private static UdpTrackerClient Client(FakeUdpTracker tracker, double baseSeconds = 0.2, double overallSeconds = 3) =>
        new(tracker.Announce, TimeProvider.System, TimeSpan.FromSeconds(baseSeconds), TimeSpan.FromSeconds(overallSeconds));

    [Fact]
    public async Task AnnounceAsync_ConnectThenAnnounce_SendsBep15FieldsAndParsesPeers()
    {
        using var tracker = new FakeUdpTracker();
        using var client = Client(tracker);

        Task<AnnounceResponse> announce = client.AnnounceAsync(TrackerTestData.Request(port: 51413, left: 777), CancellationToken.None);
        byte[] connect = await tracker.AcceptConnectAsync(ConnectionId);
        byte[] request = await tracker.AcceptAnnounceAsync(1200, leechers: 5, seeders: 7, new IPEndPoint(IPAddress.Parse("10.0.0.9"), 6881));
        AnnounceResponse response = await announce.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(16, connect.Length);
        Assert.Equal(0x41727101980, BinaryPrimitives.ReadInt64BigEndian(connect));
        Assert.Equal(0, BinaryPrimitives.ReadInt32BigEndian(connect.AsSpan(8)));
        Assert.Equal(98, request.Length);
        Assert.Equal(ConnectionId, BinaryPrimitives.ReadInt64BigEndian(request));
        Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(8)));
        Assert.Equal(TrackerTestData.AwkwardInfoHash, request[16..36]);
        Assert.Equal(TrackerTestData.PeerId, request[36..56]);
        Assert.Equal(22, BinaryPrimitives.ReadInt64BigEndian(request.AsSpan(56)));
        Assert.Equal(777, BinaryPrimitives.ReadInt64BigEndian(request.AsSpan(64)));
        Assert.Equal(11, BinaryPrimitives.ReadInt64BigEndian(request.AsSpan(72)));
        Assert.Equal(2, BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(80)));
        Assert.Equal(50, BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(92)));
        Assert.Equal(51413, BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(96)));

        Assert.Null(response.FailureReason);
        Assert.Equal([new IPEndPoint(IPAddress.Parse("10.0.0.9"), 6881)], response.Peers);
        Assert.Equal(TimeSpan.FromSeconds(1200), response.Interval);
        Assert.Equal(7, response.Complete);
        Assert.Equal(5, response.Incomplete);
    }

    [Fact]
    public async Task AnnounceAsync_SecondAnnounceWithinAMinute_ReusesConnectionId()
    {
        using var tracker = new FakeUdpTracker();
        using var client = Client(tracker);

        Task<AnnounceResponse> first = client.AnnounceAsync(TrackerTestData.Request(), CancellationToken.None);
        await tracker.AcceptConnectAsync(ConnectionId);
        await tracker.AcceptAnnounceAsync(60, 0, 0);
        await first.WaitAsync(TimeSpan.FromSeconds(10));

        Task<AnnounceResponse> second = client.AnnounceAsync(TrackerTestData.Request(TrackerEvent.None), CancellationToken.None);
        byte[] again = await tracker.AcceptAnnounceAsync(60, 0, 0);
        await second.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(98, again.Length);
        Assert.Equal(ConnectionId, BinaryPrimitives.ReadInt64BigEndian(again));
        Assert.Equal(0, BinaryPrimitives.ReadInt32BigEndian(again.AsSpan(80)));
    }

    [Fact]
    public async Task AnnounceAsync_ErrorReply_ReturnsFailureReason()
    {
        using var tracker = new FakeUdpTracker();
        using var client = Client(tracker);

        Task<AnnounceResponse> announce = client.AnnounceAsync(TrackerTestData.Request(), CancellationToken.None);
        await tracker.AcceptConnectAsync(ConnectionId);
        byte[] request = await tracker.ReceiveAsync();
        await tracker.SendAsync(FakeUdpTracker.ErrorReply(FakeUdpTracker.TransactionId(request), "unregistered torrent"));
        AnnounceResponse response = await announce.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("unregistered torrent", response.FailureReason);
        Assert.Empty(response.Peers);
    }

    [Fact]
    public async Task AnnounceAsync_WrongTransactionIdAndRunt_AreIgnoredThenRightReplyAccepted()
    {
        using var tracker = new FakeUdpTracker();
        using var client = Client(tracker, baseSeconds: 5);

        Task<AnnounceResponse> announce = client.AnnounceAsync(TrackerTestData.Request(), CancellationToken.None);
        byte[] connect = await tracker.ReceiveAsync();
        int transaction = FakeUdpTracker.TransactionId(connect);
        await tracker.SendAsync(FakeUdpTracker.ConnectReply(transaction + 1, 666));
        await tracker.SendAsync([1, 2, 3]);
        await tracker.SendAsync(FakeUdpTracker.ConnectReply(transaction, ConnectionId));
        byte[] request = await tracker.ReceiveAsync();
        await tracker.SendAsync(FakeUdpTracker.ErrorReply(FakeUdpTracker.TransactionId(request) ^ 1, "not for you"));
        await tracker.SendAsync(FakeUdpTracker.AnnounceReply(FakeUdpTracker.TransactionId(request), 60, 0, 1));
        AnnounceResponse response = await announce.WaitAsync(TimeSpan.FromSeconds(10));

        // The stray connect reply carried 666; only the matching one may be used.
        Assert.Equal(ConnectionId, BinaryPrimitives.ReadInt64BigEndian(request));
        Assert.Null(response.FailureReason);
        Assert.Equal(1, response.Complete);
    }

    [Fact]
    public async Task AnnounceAsync_FirstRequestLost_RetransmitsSameTransaction()
    {
        using var tracker = new FakeUdpTracker();
        using var client = Client(tracker, baseSeconds: 0.1);

        Task<AnnounceResponse> announce = client.AnnounceAsync(TrackerTestData.Request(), CancellationToken.None);
        byte[] lost = await tracker.ReceiveAsync();
        byte[] retry = await tracker.AcceptConnectAsync(ConnectionId);
        await tracker.AcceptAnnounceAsync(60, 0, 0);
        await announce.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(lost, retry);
    }

    [Fact]
    public async Task AnnounceAsync_ConnectReplyLateAfterRetransmission_AcceptsItAndAnnounces()
    {
        using var tracker = new FakeUdpTracker();
        using var client = Client(tracker, baseSeconds: 0.05);

        // The tracker answers only once a copy of the connect is already queued behind the first:
        // what a loaded machine does to the other tests now and then, here every time.
        Task<AnnounceResponse> announce = client.AnnounceAsync(TrackerTestData.Request(), CancellationToken.None);
        byte[] connect = await tracker.ReceiveAsync();
        Assert.True(tracker.WaitUntilQueued(), "the client never retransmitted its connect");
        await tracker.SendAsync(FakeUdpTracker.ConnectReply(FakeUdpTracker.TransactionId(connect), ConnectionId));
        byte[] request = await tracker.AcceptAnnounceAsync(60, 0, 3);
        AnnounceResponse response = await announce.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(98, request.Length);
        Assert.Equal(ConnectionId, BinaryPrimitives.ReadInt64BigEndian(request));
        Assert.Equal(3, response.Complete);
    }

    [Fact]
    public async Task AnnounceAsync_SilentTracker_ThrowsWithinOverallTimeout()
    {
        using var tracker = new FakeUdpTracker();
        using var client = Client(tracker, baseSeconds: 0.1, overallSeconds: 1);
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<TrackerException>(
            () => client.AnnounceAsync(TrackerTestData.Request(), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
        Assert.Contains("did not answer", error.Message);
        Assert.Contains(tracker.Announce.ToString(), error.Message);
    }

    [Fact]
    public async Task AnnounceAsync_CallerCancels_ThrowsOperationCanceled()
    {
        using var tracker = new FakeUdpTracker();
        using var client = Client(tracker, baseSeconds: 5, overallSeconds: 30);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => client.AnnounceAsync(TrackerTestData.Request(), cancel.Token).WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task AnnounceAsync_TruncatedPeerList_ThrowsTrackerException()
    {
        using var tracker = new FakeUdpTracker();
        using var client = Client(tracker);

        Task<AnnounceResponse> announce = client.AnnounceAsync(TrackerTestData.Request(), CancellationToken.None);
        await tracker.AcceptConnectAsync(ConnectionId);
        byte[] request = await tracker.ReceiveAsync();
        byte[] reply = FakeUdpTracker.AnnounceReply(FakeUdpTracker.TransactionId(request), 60, 0, 0, new IPEndPoint(IPAddress.Loopback, 1));
        await tracker.SendAsync(reply[..^1]);

        var error = await Assert.ThrowsAsync<TrackerException>(() => announce.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("multiple of 6", error.Message);
    }
}
