using System.Net;
using Ezio.BitTorrent.Metainfo;
using Ezio.Server.Cli;
using Ezio.Server.Tracker;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Ezio.Server.Tests.Tracker;

/// <summary>Subnet locality: peers of the announcer's subnet first, one bridge per subnet reaching further.</summary>
public sealed class TrackerLocalityTests
{
    private static readonly InfoHash Hash = new(Enumerable.Range(1, 20).Select(i => (byte)i).ToArray());
    private static readonly IPAddress ServerA = IPAddress.Parse("10.1.0.1");
    private readonly FakeTime _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private AnnounceTracker NewTracker(params string[] sites)
    {
        Assert.True(SubnetLocality.TryCreate(sites, out var locality, out var error), error);
        return new(_time, NullLogger<AnnounceTracker>.Instance) { Locality = locality };
    }

    private static AnnounceRequest From(string address, int peer, long left = 100, AnnounceEvent e = AnnounceEvent.None) =>
        new(Hash, AnnounceTrackerTests.PeerId(peer), 6000 + peer, 0, 0, left, e, 50, true, false, IPAddress.Parse(address));

    private static string[] Listed(AnnounceResult result) => [.. result.Peers.Select(p => p.EndPoint.ToString()).Order()];

    /// <summary>The peers of an answer, in any order.</summary>
    private static void AssertListed(string[] expected, AnnounceResult result) => Assert.Equal(expected.Order(), Listed(result));

    /// <summary>Announces every peer once, one second apart (so the first of a subnet joined first).</summary>
    private void Join(AnnounceTracker tracker, params (string Address, int Peer)[] peers)
    {
        foreach (var (address, peer) in peers)
        {
            tracker.Announce(From(address, peer, e: AnnounceEvent.Started), ServerA);
            _time.Advance(TimeSpan.FromSeconds(1));
        }
    }

    [Theory]
    [InlineData("10.1.0.5", "10.1.0.200", true)]
    [InlineData("10.1.0.5", "10.1.1.5", false)]
    [InlineData("2001:db8:0:1::5", "2001:db8:0:1:ffff::9", true)]
    [InlineData("2001:db8:0:1::5", "2001:db8:0:2::5", false)]
    [InlineData("::ffff:10.1.0.5", "10.1.0.9", true)]
    public void SubnetOf_Defaults_Slash24AndSlash64(string a, string b, bool same)
    {
        Assert.True(SubnetLocality.TryCreate([], out var locality, out _));
        Assert.Equal(same, locality!.SubnetOf(IPAddress.Parse(a)).Equals(locality.SubnetOf(IPAddress.Parse(b))));
        Assert.Equal(same, locality.SubnetOf(IPAddress.Parse(a)).Contains(IPAddress.Parse(b).IsIPv4MappedToIPv6 ? IPAddress.Parse(b).MapToIPv4() : IPAddress.Parse(b)));
    }

    [Fact]
    public void SubnetOf_SitePrefixes_LongestHoldingWins()
    {
        // A site whose subnets are /22s, one of them cut into racks of /26.
        Assert.True(SubnetLocality.TryCreate(["10.8.0.0/16", "10.8.4.0/22", "10.8.4.0/26", "10.8.4.64/26"], out var locality, out _));
        Assert.Equal("10.8.4.0/26", locality!.SubnetOf(IPAddress.Parse("10.8.4.9")).ToString());
        Assert.Equal("10.8.4.64/26", locality.SubnetOf(IPAddress.Parse("10.8.4.70")).ToString());
        Assert.Equal("10.8.4.0/22", locality.SubnetOf(IPAddress.Parse("10.8.7.1")).ToString());
        Assert.Equal("10.8.0.0/16", locality.SubnetOf(IPAddress.Parse("10.8.9.1")).ToString());
        // Outside every listed prefix: the default /24.
        Assert.Equal("192.168.3.0/24", locality.SubnetOf(IPAddress.Parse("192.168.3.7")).ToString());
        // Two racks of one /22 are closer to each other than to the rest of the site.
        Assert.Equal(22, locality.Closeness(IPAddress.Parse("10.8.4.9"), IPAddress.Parse("10.8.4.70")));
        Assert.Equal(16, locality.Closeness(IPAddress.Parse("10.8.4.9"), IPAddress.Parse("10.8.9.1")));
        Assert.Equal(0, locality.Closeness(IPAddress.Parse("10.8.4.9"), IPAddress.Parse("10.9.0.1")));
    }

    [Theory]
    [InlineData("10.8.4.1/22")]
    [InlineData("10.8.4.0/33")]
    [InlineData("10.8.4.0")]
    [InlineData("rack-1")]
    public void TryCreate_BadPrefix_ClearError(string prefix)
    {
        Assert.False(SubnetLocality.TryCreate(["10.1.0.0/16", prefix], out var locality, out var error));
        Assert.Null(locality);
        Assert.Contains(prefix, error);
    }

    [Fact]
    public void BuildOptions_BadLocalityPrefix_UsageError()
    {
        var dir = Directory.CreateTempSubdirectory("ezio-locality-");
        try
        {
            var config = Path.Combine(dir.FullName, "server.json");
            File.WriteAllText(config, $$"""{ "repo": "{{dir.FullName}}", "localityPrefixes": ["10.1.0.0/16", "10.2.0.9/24"] }""");
            var e = Assert.Throws<UsageException>(() => ServeCommand.BuildOptions(Options.Parse(["--config", config], ["--config"])));
            Assert.Contains("10.2.0.9/24", e.Message);
            File.WriteAllText(config, $$"""{ "repo": "{{dir.FullName}}", "localityPrefixes": ["10.1.0.0/16", "10.2.0.0/24"] }""");
            Assert.Equal(["10.1.0.0/16", "10.2.0.0/24"], ServeCommand.BuildOptions(Options.Parse(["--config", config], ["--config"])).LocalityPrefixes);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Announce_TwoSubnets_OnlyTheFarSubnetsBridgeGetsTheSeeder()
    {
        var tracker = NewTracker();
        tracker.PinSeeder(Hash, 6881);
        Join(tracker, ("10.1.0.11", 1), ("10.1.0.12", 2), ("10.2.0.11", 11), ("10.2.0.12", 12), ("10.2.0.13", 13));

        // The server's subnet: the seeder and its neighbours, nothing from across the router.
        AssertListed(["10.1.0.1:6881", "10.1.0.12:6002"], tracker.Announce(From("10.1.0.11", 1), ServerA));
        // The far subnet's first leecher is its bridge: its neighbours, the seeder, and a few
        // leechers across (they outlive the server).
        AssertListed(["10.1.0.1:6881", "10.1.0.11:6001", "10.1.0.12:6002", "10.2.0.12:6012", "10.2.0.13:6013"], tracker.Announce(From("10.2.0.11", 11), ServerA));
        // Everyone else there gets its neighbours only.
        AssertListed(["10.2.0.11:6011", "10.2.0.13:6013"], tracker.Announce(From("10.2.0.12", 12), ServerA));
        AssertListed(["10.2.0.11:6011", "10.2.0.12:6012"], tracker.Announce(From("10.2.0.13", 13), ServerA));
    }

    [Fact]
    public void Announce_BridgeBeforeAnyLeecherAcross_AsksAgainSoon()
    {
        var tracker = NewTracker();
        tracker.PinSeeder(Hash, 6881);
        // The far subnet's bridge announces first: only the seeder across, so it comes back in 5 s.
        var first = tracker.Announce(From("10.2.0.11", 11, e: AnnounceEvent.Started), ServerA);
        AssertListed(["10.1.0.1:6881"], first);
        Assert.Equal(5, first.Interval);
        // Its neighbours keep the full interval.
        Assert.Equal(60, tracker.Announce(From("10.2.0.12", 12, e: AnnounceEvent.Started), ServerA).Interval);
        Join(tracker, ("10.1.0.11", 1));
        // Now it learns a leecher across, one more path than the server's.
        var again = tracker.Announce(From("10.2.0.11", 11), ServerA);
        AssertListed(["10.1.0.1:6881", "10.1.0.11:6001", "10.2.0.12:6012"], again);
        Assert.Equal(60, again.Interval);
    }

    [Fact]
    public void Announce_BridgeCompletes_ItsSubnetNeedsNothingFromAcross()
    {
        var tracker = NewTracker();
        tracker.PinSeeder(Hash, 6881);
        Join(tracker, ("10.2.0.11", 11), ("10.2.0.12", 12));
        tracker.Announce(From("10.2.0.11", 11, left: 0, e: AnnounceEvent.Completed), ServerA);
        // A seed in the subnet: no bridge, no seeder from across the router.
        AssertListed(["10.2.0.11:6011"], tracker.Announce(From("10.2.0.12", 12), ServerA));
        Join(tracker, ("10.2.0.13", 13));
        AssertListed(["10.2.0.11:6011", "10.2.0.12:6012"], tracker.Announce(From("10.2.0.13", 13), ServerA));
    }

    [Fact]
    public void Announce_BridgeLeaves_TheNextOldestTakesOver()
    {
        var tracker = NewTracker();
        tracker.PinSeeder(Hash, 6881);
        Join(tracker, ("10.2.0.13", 13), ("10.2.0.11", 11), ("10.2.0.12", 12));
        Assert.DoesNotContain("10.1.0.1:6881", Listed(tracker.Announce(From("10.2.0.11", 11), ServerA)));
        tracker.Announce(From("10.2.0.13", 13, e: AnnounceEvent.Stopped), ServerA);
        // 10.2.0.11 joined before 10.2.0.12: it is the bridge now, whatever its address.
        AssertListed(["10.1.0.1:6881", "10.2.0.12:6012"], tracker.Announce(From("10.2.0.11", 11), ServerA));
        AssertListed(["10.2.0.11:6011"], tracker.Announce(From("10.2.0.12", 12), ServerA));
    }

    [Fact]
    public void Announce_BridgeFallsSilent_ExpiresAndTheNextTakesOver_AndASeedLosingDataIsALeecherAgain()
    {
        var tracker = NewTracker();
        tracker.PinSeeder(Hash, 6881);
        Join(tracker, ("10.2.0.11", 11), ("10.2.0.12", 12), ("10.2.0.13", 13));
        // 10.2.0.11 falls silent; the others keep announcing past two intervals.
        for (var i = 0; i < 3; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(50));
            tracker.Announce(From("10.2.0.13", 13), ServerA);
            tracker.Announce(From("10.2.0.12", 12), ServerA);
        }
        AssertListed(["10.1.0.1:6881", "10.2.0.13:6013"], tracker.Announce(From("10.2.0.12", 12), ServerA));
        // 10.2.0.12 completes: the subnet has a seed, no bridge.
        tracker.Announce(From("10.2.0.12", 12, left: 0, e: AnnounceEvent.Completed), ServerA);
        AssertListed(["10.2.0.12:6012"], tracker.Announce(From("10.2.0.13", 13), ServerA));
        // Its disk was wiped (it announces data left again): a leecher, and the oldest, so the bridge.
        tracker.Announce(From("10.2.0.12", 12, left: 100), ServerA);
        AssertListed(["10.2.0.12:6012"], tracker.Announce(From("10.2.0.13", 13), ServerA));
        AssertListed(["10.1.0.1:6881", "10.2.0.13:6013"], tracker.Announce(From("10.2.0.12", 12), ServerA));
    }

    [Fact]
    public void Announce_NoSeedAnywhere_BridgesGetFarLeechersClosestSiteFirst()
    {
        // Two racks of one building (10.8.0.0/16) and another building's subnet.
        var tracker = NewTracker("10.8.0.0/16", "10.8.1.0/26", "10.8.1.64/26");
        Join(tracker, ("10.8.1.10", 1), ("10.8.1.11", 2), ("10.9.0.10", 20), ("10.8.1.70", 10), ("10.8.1.71", 11));
        // The seed was there and is gone (the server died).
        tracker.Announce(From("10.9.0.5", 5, left: 0, e: AnnounceEvent.Started), ServerA);
        tracker.Announce(From("10.9.0.5", 5, left: 0, e: AnnounceEvent.Stopped), ServerA);
        var bridge = tracker.Announce(From("10.8.1.70", 10), ServerA).Peers.Select(p => p.EndPoint.ToString()).ToList();
        // Its rack, then the other rack of its building, then the other building.
        Assert.Equal("10.8.1.71:6011", bridge[0]);
        Assert.Equal(["10.8.1.10:6001", "10.8.1.11:6002"], bridge[1..3].Order());
        Assert.Equal("10.9.0.10:6020", bridge[3]);
        Assert.Equal(4, bridge.Count);
        // The second peer of the rack stays inside it.
        AssertListed(["10.8.1.70:6010"], tracker.Announce(From("10.8.1.71", 11), ServerA));
    }

    [Fact]
    public void Announce_NoSeedListedYet_EachSubnetKeepsToItselfUntilOneIs()
    {
        var tracker = NewTracker();
        Join(tracker, ("10.1.0.11", 1), ("10.1.0.12", 2), ("10.2.0.11", 11), ("10.2.0.12", 12));
        // The seed (`ezio seed` against this tracker) starts after the machines: no bridge is
        // linked across yet, each comes back in 5 s. Linked now, the seed's subnet would pass
        // the other everything it got, a second copy across the router.
        var a = tracker.Announce(From("10.1.0.11", 1), ServerA);
        AssertListed(["10.1.0.12:6002"], a);
        Assert.Equal(5, a.Interval);
        var b = tracker.Announce(From("10.2.0.11", 11), ServerA);
        AssertListed(["10.2.0.12:6012"], b);
        Assert.Equal(5, b.Interval);

        tracker.Announce(From("10.1.0.5", 5, left: 0, e: AnnounceEvent.Started), ServerA);

        // The seed's subnet keeps to itself; the far bridge gets the seed and the leechers across.
        AssertListed(["10.1.0.5:6005", "10.1.0.12:6002"], tracker.Announce(From("10.1.0.11", 1), ServerA));
        var linked = tracker.Announce(From("10.2.0.11", 11), ServerA);
        AssertListed(["10.1.0.5:6005", "10.1.0.11:6001", "10.1.0.12:6002", "10.2.0.12:6012"], linked);
        Assert.Equal(60, linked.Interval);
    }

    [Fact]
    public void Announce_FarSeedKnown_BridgeGetsSeedsFirst()
    {
        // No pinned seeder: a seed announced like any client (e.g. `ezio seed` against this tracker).
        var tracker = NewTracker();
        Join(tracker, ("10.1.0.5", 5), ("10.1.0.11", 1), ("10.2.0.11", 11));
        tracker.Announce(From("10.1.0.5", 5, left: 0), ServerA);
        var bridge = tracker.Announce(From("10.2.0.11", 11), ServerA).Peers.Select(p => p.EndPoint.ToString()).ToList();
        Assert.Equal(["10.1.0.5:6005", "10.1.0.11:6001"], bridge);
    }

    [Fact]
    public void Announce_ManyFarLeechers_BridgeGetsSeedsAndAFewLeechers()
    {
        var tracker = NewTracker();
        tracker.PinSeeder(Hash, 6881);
        for (var i = 11; i <= 40; i++)
        {
            tracker.Announce(From($"10.1.0.{i}", i), ServerA);
        }
        tracker.Announce(From("10.2.0.11", 211), ServerA);
        var bridge = tracker.Announce(From("10.2.0.11", 211), ServerA).Peers;
        Assert.Equal("10.1.0.1:6881", bridge[0].EndPoint.ToString());
        Assert.Equal(1 + AnnounceTracker.BridgeFarLeechers, bridge.Count);
    }

    [Fact]
    public void Announce_Members_StillBeforeGuestsInTheSubnet()
    {
        Assert.True(SubnetLocality.TryCreate([], out var locality, out _));
        var tracker = new AnnounceTracker(_time, NullLogger<AnnounceTracker>.Instance)
        {
            Locality = locality,
            IsMember = (_, address) => address.GetAddressBytes() is [10, 1, 0, < 100],
        };
        tracker.Open(Hash, stopAfterCompleted: 0, deadline: null);
        for (var i = 1; i <= 30; i++)
        {
            tracker.Announce(From($"10.1.0.{100 + i}", 100 + i), ServerA);
            tracker.Announce(From($"10.1.0.{i}", i), ServerA);
        }
        var result = tracker.Announce(new AnnounceRequest(Hash, AnnounceTrackerTests.PeerId(1), 6001, 0, 0, 100, AnnounceEvent.None, 40, true, false, IPAddress.Parse("10.1.0.1")), ServerA);
        var listed = result.Peers.Select(p => p.EndPoint.Address.GetAddressBytes()[3]).ToList();
        Assert.Equal(40, listed.Count);
        Assert.All(listed[..29], b => Assert.True(b is > 1 and < 100));
        Assert.All(listed[29..], b => Assert.True(b > 100));
    }
}
