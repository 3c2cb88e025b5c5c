using System.Net;
using Ezio.BitTorrent.Trackers;
using Xunit;

namespace Ezio.BitTorrent.Tests.Trackers;

public sealed class TrackerResponseParserTests
{
    private static readonly Uri Tracker = new("http://tracker.test/announce");

    private static AnnounceResponse Parse(string body) => TrackerResponseParser.Parse(TrackerTestData.Latin1(body), Tracker);

    [Fact]
    public void Parse_Peers6_ReadsIPv6Entries()
    {
        string address = "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01";
        AnnounceResponse response = Parse("d8:intervali30e6:peers618:" + address + "\x1A\xE1" + "e");

        Assert.Equal([new IPEndPoint(IPAddress.IPv6Loopback, 6881)], response.Peers);
    }

    [Fact]
    public void Parse_UnknownKeysAndNesting_AreSkipped()
    {
        AnnounceResponse response = Parse("d10:tracker id3:abc5:extrald1:ali1ei2eeee8:intervali30ee");

        Assert.Equal(TimeSpan.FromSeconds(30), response.Interval);
        Assert.Empty(response.Peers);
    }

    [Fact]
    public void Parse_CompactPortZero_IsDropped()
    {
        AnnounceResponse response = Parse("d8:intervali30e5:peers12:\x01\x02\x03\x04\x00\x00\x01\x02\x03\x04\x00\x01" + "e");

        Assert.Equal([new IPEndPoint(IPAddress.Parse("1.2.3.4"), 1)], response.Peers);
    }

    [Fact]
    public void Parse_ListPeerWithHostNameOrBadPort_IsSkipped()
    {
        AnnounceResponse response = Parse(
            "d8:intervali30e5:peersld2:ip11:example.org4:porti1eed2:ip7:1.2.3.44:porti0eed2:ip7:1.2.3.44:porti2eeee");

        Assert.Equal([new IPEndPoint(IPAddress.Parse("1.2.3.4"), 2)], response.Peers);
    }

    [Fact]
    public void Parse_TooManyPeers_IsTrimmedToBound()
    {
        int count = TrackerResponseParser.MaxPeers + 10;
        var peers = new byte[count * 6];
        for (int i = 0; i < count; i++)
        {
            peers[i * 6] = 10;
            peers[i * 6 + 5] = 1;
        }
        byte[] body = [.. "d8:intervali30e5:peers"u8, .. System.Text.Encoding.ASCII.GetBytes($"{peers.Length}:"), .. peers, (byte)'e'];

        AnnounceResponse response = TrackerResponseParser.Parse(body, Tracker);

        Assert.Equal(TrackerResponseParser.MaxPeers, response.Peers.Count);
    }

    [Fact]
    public void Parse_FailureReasonWithNewlines_IsFlattenedToOneLine()
    {
        AnnounceResponse response = Parse("d14:failure reason6:a\r\nb\tce");

        Assert.Equal("a  b c", response.FailureReason);
    }

    public static TheoryData<string> HostileBodies() => new()
    {
        "",
        "d",
        "de trailing",
        "le",
        "i42e",
        "4:spam",
        "d8:intervali-5ee",
        "d8:intervali01ee",
        "d8:intervali-0ee",
        "d8:intervalie",
        "d8:intervali1234567890123456789ee",
        "d8:interval3:abce",
        "d08:intervali1ee",
        "d8:intervali99999999999ee",
        "d8:completei-1ee",
        "d5:peers999999999:",
        "d5:peers9999999999:",
        "d5:peers5:abcdee",
        "d6:peers67:abcdefge",
        "d5:peersli1eee",
        "d5:peersld2:ipi1eeee",
        "d14:failure reasoni1ee",
        "di1ei2ee",
        "d1:x" + new string('l', 100) + new string('e', 101),
        "d1:x" + string.Concat(Enumerable.Repeat("d1:a", 40)) + new string('e', 41),
        "d1:xl",
        "d1:xi1",
        "d1:x5:ab",
        "d1:x-1:e",
        "d1:x:e",
        "d1:xze",
    };

    [Theory]
    [MemberData(nameof(HostileBodies))]
    public void Parse_HostileBody_ThrowsTrackerExceptionOnly(string body)
    {
        var error = Assert.Throws<TrackerException>(() => Parse(body));

        Assert.Contains("tracker.test", error.Message);
    }
}
