using System.Net;
using Ezio.BitTorrent.Metainfo;
using Ezio.Server.Tracker;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Ezio.Server.Tests.Tracker;

public sealed class AnnounceTrackerTests
{
    private static readonly InfoHash Hash = new(Enumerable.Range(1, 20).Select(i => (byte)i).ToArray());
    private readonly FakeTime _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>A tracker whose deployments' machines are at 10.0.0.1-10.0.0.63 (the peers of <see cref="Request"/>).</summary>
    private AnnounceTracker NewTracker(int maxPeers = 5000) =>
        new(_time, NullLogger<AnnounceTracker>.Instance)
        {
            Interval = TimeSpan.FromSeconds(60),
            MaxPeersPerSwarm = maxPeers,
            IsMember = (_, address) => address.GetAddressBytes() is [10, 0, 0, > 0 and < 64],
        };

    internal static byte[] PeerId(int n) => System.Text.Encoding.ASCII.GetBytes($"-TT0001-{n:D12}");

    private static AnnounceRequest Request(int peer, long left = 100, AnnounceEvent e = AnnounceEvent.None, int numWant = 50) =>
        new(Hash, PeerId(peer), 6000 + peer, 0, 0, left, e, numWant, true, false, IPAddress.Parse($"10.0.0.{peer}"));

    /// <summary>An announce of peer id <paramref name="peer"/> from <paramref name="address"/>.</summary>
    private static AnnounceRequest From(string address, int peer, long left = 100, AnnounceEvent e = AnnounceEvent.None, int numWant = 50) =>
        new(Hash, PeerId(peer), 6000 + (peer % 1000), 0, 0, left, e, numWant, true, false, IPAddress.Parse(address));

    [Fact]
    public void Announce_SeveralPeers_EachSeesTheOthers()
    {
        var tracker = NewTracker();
        tracker.Announce(Request(1, e: AnnounceEvent.Started), null);
        tracker.Announce(Request(2, e: AnnounceEvent.Started), null);
        var result = tracker.Announce(Request(3, left: 0, e: AnnounceEvent.Started), null);
        Assert.Null(result.FailureReason);
        Assert.Equal(1, result.Complete);
        Assert.Equal(2, result.Incomplete);
        Assert.Equal(["10.0.0.1:6001", "10.0.0.2:6002"], result.Peers.Select(p => p.EndPoint.ToString()).Order());
    }

    [Fact]
    public void Announce_NumWant_Caps()
    {
        var tracker = NewTracker();
        for (var i = 1; i <= 10; i++)
        {
            tracker.Announce(Request(i), null);
        }
        Assert.Equal(3, tracker.Announce(Request(11, numWant: 3), null).Peers.Count);
        Assert.Empty(tracker.Announce(Request(12, numWant: 0), null).Peers);
    }

    [Fact]
    public void Announce_Stopped_RemovesPeer()
    {
        var tracker = NewTracker();
        tracker.Announce(Request(1), null);
        tracker.Announce(Request(1, e: AnnounceEvent.Stopped), null);
        Assert.Empty(tracker.Announce(Request(2), null).Peers);
    }

    [Fact]
    public void Announce_SilentPeer_ExpiresAfterTwoIntervals()
    {
        var tracker = NewTracker();
        tracker.Announce(Request(1), null);
        _time.Advance(TimeSpan.FromSeconds(119));
        Assert.Single(tracker.Announce(Request(2), null).Peers);
        _time.Advance(TimeSpan.FromSeconds(2));
        var result = tracker.Announce(Request(3), null);
        Assert.Equal(["10.0.0.2:6002"], result.Peers.Select(p => p.EndPoint.ToString()));
    }

    [Fact]
    public void Announce_StopAfterCompleted_FailsWithJobOver()
    {
        var tracker = NewTracker();
        string? closed = null;
        tracker.Closed += (_, reason) => closed = reason;
        tracker.Open(Hash, stopAfterCompleted: 2, deadline: null);
        tracker.Announce(Request(1, left: 0, e: AnnounceEvent.Completed), null);
        // A duplicate completed from the same peer counts once.
        tracker.Announce(Request(1, left: 0, e: AnnounceEvent.Completed), null);
        Assert.Null(tracker.Announce(Request(3), null).FailureReason);
        Assert.Null(closed);
        tracker.Announce(Request(2, left: 0, e: AnnounceEvent.Completed), null);
        Assert.Contains("over", closed);
        var after = tracker.Announce(Request(3), null);
        Assert.Equal("deployment is over: 2 clients completed", after.FailureReason);
        Assert.Equal(2, tracker.Scrape(Hash)!.Value.Downloaded);
    }

    [Fact]
    public void Open_AfterTheLastDeploymentOfTheImageClosed_StartsWithNoCompletions()
    {
        var tracker = NewTracker();
        var closed = new List<string>();
        tracker.Closed += (_, reason) => closed.Add(reason);
        // Last week: two machines.
        tracker.Open(Hash, stopAfterCompleted: 2, deadline: null);
        tracker.Announce(Request(1, left: 0, e: AnnounceEvent.Completed), null);
        tracker.Announce(Request(2, left: 0, e: AnnounceEvent.Completed), null);
        Assert.Equal(["deployment is over: 2 clients completed"], closed);
        tracker.Close(Hash, "deployment is over: every machine reported");

        // This week: one machine, then three; each runs to its own count.
        foreach (var machines in new[] { 1, 3 })
        {
            closed.Clear();
            tracker.Open(Hash, stopAfterCompleted: machines, deadline: null);
            for (var i = 1; i <= machines; i++)
            {
                var started = tracker.Announce(Request(i, e: AnnounceEvent.Started), null);
                Assert.Null(started.FailureReason);
            }
            Assert.Equal(0, tracker.Scrape(Hash)!.Value.Downloaded);
            for (var i = 1; i <= machines; i++)
            {
                Assert.Empty(closed);
                Assert.Null(tracker.Announce(Request(i, left: 0, e: AnnounceEvent.Completed), null).FailureReason);
            }
            Assert.Equal([$"deployment is over: {machines} clients completed"], closed);
            tracker.Close(Hash, "deployment is over: every machine reported");
        }
    }

    [Fact]
    public void Open_WhileAnotherDeploymentOfTheImageIsOpen_CountsAddUp()
    {
        var tracker = NewTracker();
        string? closed = null;
        tracker.Closed += (_, reason) => closed = reason;
        tracker.Open(Hash, stopAfterCompleted: 2, deadline: null);
        tracker.Announce(Request(1, left: 0, e: AnnounceEvent.Completed), null);
        tracker.Open(Hash, stopAfterCompleted: 1, deadline: null);
        tracker.Announce(Request(2, left: 0, e: AnnounceEvent.Completed), null);
        Assert.Null(closed);
        tracker.Announce(Request(3, left: 0, e: AnnounceEvent.Completed), null);
        Assert.Equal("deployment is over: 3 clients completed", closed);
    }

    [Fact]
    public void Announce_ForgedCompletionsFromANonMember_DoNotCloseTheSwarm()
    {
        var tracker = NewTracker();
        string? closed = null;
        tracker.Closed += (_, reason) => closed = reason;
        tracker.Open(Hash, stopAfterCompleted: 2, deadline: null);
        tracker.Announce(Request(1, e: AnnounceEvent.Started), null);
        tracker.Announce(Request(2, e: AnnounceEvent.Started), null);

        // Made-up peer ids, one address that is no machine of the deployment.
        Assert.Null(tracker.Announce(From("10.0.0.77", 901, left: 0, e: AnnounceEvent.Completed), null).FailureReason);
        Assert.Null(tracker.Announce(From("10.0.0.77", 902, left: 0, e: AnnounceEvent.Completed), null).FailureReason);
        // A member completing twice under two peer ids is one machine.
        tracker.Announce(From("10.0.0.1", 903, left: 0, e: AnnounceEvent.Completed), null);
        tracker.Announce(Request(1, left: 0, e: AnnounceEvent.Completed), null);

        Assert.Null(closed);
        Assert.Equal(1, tracker.Scrape(Hash)!.Value.Downloaded);
        Assert.Null(tracker.Announce(Request(2), null).FailureReason);
        tracker.Announce(Request(2, left: 0, e: AnnounceEvent.Completed), null);
        Assert.Equal("deployment is over: 2 clients completed", closed);
    }

    [Fact]
    public void Announce_FiveThousandFakePeersFromOneAddress_MembersStillGetEveryMember()
    {
        var tracker = NewTracker();
        tracker.Open(Hash, stopAfterCompleted: 60, deadline: null);
        tracker.PinSeeder(Hash, 7000);
        for (var i = 1; i <= 60; i++)
        {
            tracker.Announce(Request(i, e: AnnounceEvent.Started), IPAddress.Parse("10.0.0.254"));
        }
        for (var i = 0; i < 5000; i++)
        {
            tracker.Announce(From("10.0.0.66", 10_000 + i, e: AnnounceEvent.Started), null);
        }

        // The flood holds a few peer ids of its address, no more.
        var scrape = tracker.Scrape(Hash)!.Value;
        Assert.Equal(60 + tracker.MaxPeersPerAddress, scrape.Incomplete);
        // A member asking for 50 gets the seeder and 49 members; asking for all, every other
        // member before the guests.
        var fifty = tracker.Announce(Request(7), IPAddress.Parse("10.0.0.254")).Peers;
        Assert.Equal(50, fifty.Count);
        Assert.Equal("10.0.0.254:7000", fifty[0].EndPoint.ToString());
        Assert.All(fifty.Skip(1), p => Assert.NotEqual("10.0.0.66", p.EndPoint.Address.ToString()));
        var all = tracker.Announce(Request(7, numWant: 200), IPAddress.Parse("10.0.0.254")).Peers;
        Assert.Equal(1 + 59 + tracker.MaxPeersPerAddress, all.Count);
        Assert.All(all.Skip(1).Take(59), p => Assert.NotEqual("10.0.0.66", p.EndPoint.Address.ToString()));
        Assert.All(all.Skip(60), p => Assert.Equal("10.0.0.66", p.EndPoint.Address.ToString()));
    }

    [Fact]
    public void Announce_SwarmFullOfGuests_AMemberTakesAGuestsPlace()
    {
        var tracker = NewTracker(maxPeers: 8);
        tracker.Open(Hash, stopAfterCompleted: 1, deadline: null);
        for (var i = 0; i < 8; i++)
        {
            tracker.Announce(From($"192.168.1.{i + 1}", 100 + i), null);
        }
        // A guest past the limit is refused, a member is not.
        tracker.Announce(From("192.168.1.99", 199), null);
        tracker.Announce(Request(1), null);

        Assert.Equal(8, tracker.Scrape(Hash)!.Value.Incomplete);
        var seen = tracker.Announce(From("192.168.1.1", 100, numWant: 1), null).Peers;
        Assert.Equal(["10.0.0.1:6001"], seen.Select(p => p.EndPoint.ToString()));
        Assert.Null(tracker.Announce(Request(1, left: 0, e: AnnounceEvent.Completed), null).FailureReason);
        Assert.Equal("deployment is over: 1 clients completed", tracker.Announce(Request(1), null).FailureReason);
    }

    [Fact]
    public void Announce_MemberUnderManyPeerIds_KeepsOnlyItsLatest()
    {
        var tracker = NewTracker();
        tracker.Open(Hash, stopAfterCompleted: 0, deadline: null);
        for (var i = 0; i < 20; i++)
        {
            tracker.Announce(From("10.0.0.5", 500 + i), null);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        var peers = tracker.Announce(Request(6, numWant: 200), null).Peers;
        Assert.Equal(Enumerable.Range(516, 4).Select(i => $"10.0.0.5:{6000 + i}"), peers.Select(p => p.EndPoint.ToString()).Order());
    }

    [Fact]
    public void Announce_PlainSwarm_NoLimitPerAddress()
    {
        var tracker = NewTracker();
        for (var i = 0; i < 50; i++)
        {
            tracker.Announce(From("127.0.0.1", 100 + i), null);
        }

        Assert.Equal(50, tracker.Scrape(Hash)!.Value.Incomplete);
        tracker.Announce(From("127.0.0.1", 100, left: 0, e: AnnounceEvent.Completed), null);
        tracker.Announce(From("127.0.0.1", 101, left: 0, e: AnnounceEvent.Completed), null);
        Assert.Equal(2, tracker.Scrape(Hash)!.Value.Downloaded);
    }

    [Fact]
    public void Tick_Deadline_ClosesSwarm()
    {
        var tracker = NewTracker();
        tracker.Open(Hash, 0, _time.GetUtcNow().AddMinutes(5));
        tracker.Announce(Request(1), null);
        _time.Advance(TimeSpan.FromMinutes(5));
        tracker.Tick();
        Assert.Equal("deployment is over: time limit reached", tracker.Announce(Request(1), null).FailureReason);
    }

    [Fact]
    public void Announce_PinnedSeeder_ListedAtLocalAddress()
    {
        var tracker = NewTracker();
        tracker.PinSeeder(Hash, 7000);
        var result = tracker.Announce(Request(1), IPAddress.Parse("10.0.0.254"));
        Assert.Equal("10.0.0.254:7000", result.Peers[0].EndPoint.ToString());
    }

    [Fact]
    public void Announce_DeploymentAwaitingItsSeeder_ShortIntervalUntilPinned()
    {
        var tracker = NewTracker();
        tracker.Open(Hash, stopAfterCompleted: 0, deadline: null);

        Assert.Equal(5, tracker.Announce(Request(1, e: AnnounceEvent.Started), null).Interval);

        tracker.PinSeeder(Hash, 7000);
        Assert.Equal(60, tracker.Announce(Request(1), IPAddress.Parse("10.0.0.254")).Interval);
    }

    [Fact]
    public void Announce_SwarmWithoutDeployment_FullInterval()
    {
        var tracker = NewTracker();

        Assert.Equal(60, tracker.Announce(Request(1, e: AnnounceEvent.Started), null).Interval);
    }

    [Fact]
    public void Announce_SwarmFull_PeerNotRecorded()
    {
        var tracker = NewTracker(maxPeers: 2);
        for (var i = 1; i <= 5; i++)
        {
            tracker.Announce(Request(i), null);
        }
        var scrape = tracker.Scrape(Hash)!.Value;
        Assert.Equal(2, scrape.Incomplete);
    }
}
