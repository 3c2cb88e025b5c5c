using System.Net;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.Trackers;
using Ezio.TestKit.Processes;
using Xunit;

namespace Ezio.BitTorrent.Tests.Trackers;

/// <summary>Our clients against the real opentracker: a second peer must learn about the first.</summary>
public sealed class OpentrackerInteropTests
{
    private static readonly InfoHash HttpTorrent = InfoHash.Parse("00112233445566778899aabbccddeeff00112233");
    private static readonly InfoHash UdpTorrent = InfoHash.Parse("ffeeddccbbaa99887766554433221100ffeeddcc");

    [OpentrackerFact]
    public async Task AnnounceAsync_TwoPeersOverHttpAndUdp_SecondSeesFirst()
    {
        using var tracker = await Opentracker.StartAsync(HttpTorrent, UdpTorrent);

        await AssertSecondPeerSeesFirstAsync(new Uri($"http://127.0.0.1:{tracker.Port}/announce"), HttpTorrent, 40001);
        await AssertSecondPeerSeesFirstAsync(new Uri($"udp://127.0.0.1:{tracker.Port}/announce"), UdpTorrent, 40011);
    }

    private static async Task AssertSecondPeerSeesFirstAsync(Uri announce, InfoHash infoHash, int firstPort)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using ITrackerClient first = TrackerClientFactory.Create(announce);
        using ITrackerClient second = TrackerClientFactory.Create(announce);

        AnnounceResponse firstResponse = await first.AnnounceAsync(Request(infoHash, "-EZ0001-first-peer01", firstPort), deadline.Token);
        AnnounceResponse secondResponse = await second.AnnounceAsync(Request(infoHash, "-EZ0001-second-peer1", firstPort + 1), deadline.Token);

        Assert.Null(firstResponse.FailureReason);
        Assert.Null(secondResponse.FailureReason);
        Assert.Contains(new IPEndPoint(IPAddress.Loopback, firstPort), secondResponse.Peers);
        Assert.True(secondResponse.Interval > TimeSpan.Zero, $"interval {secondResponse.Interval} from {announce}");
    }

    private static AnnounceRequest Request(InfoHash infoHash, string peerId, int port) =>
        new(infoHash, System.Text.Encoding.ASCII.GetBytes(peerId), port, 0, 0, Left: 1000, TrackerEvent.Started);
}
