using Ezio.BitTorrent.Engine;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

public sealed class ChokerTests
{
    private sealed class FakePeer(string name) : IChokePeer
    {
        public bool IsClosed { get; set; }

        public bool IsRouted { get; set; }

        public bool AmChoking { get; private set; } = true;

        public bool PeerInterested { get; set; }

        public void SetAmChoking(bool choking) => AmChoking = choking;

        public override string ToString() => name;
    }

    private static (Choker Choker, List<FakePeer> Peers) Interested(int slots, int peers)
    {
        var choker = new Choker(slots);
        var list = Enumerable.Range(0, peers).Select(i => new FakePeer($"peer{i}") { PeerInterested = true }).ToList();
        foreach (var peer in list)
        {
            choker.TryUnchoke(peer, list);
        }
        return (choker, list);
    }

    [Fact]
    public void TryUnchoke_MorePeersThanSlots_UnchokesTheFirstUpToTheSlots()
    {
        var (choker, peers) = Interested(slots: 2, peers: 3);
        Assert.Equal([false, false, true], peers.Select(p => p.AmChoking));
        Assert.Equal(2, choker.Unchoked);
    }

    [Fact]
    public void FreeSlot_SomeoneWaits_TheSlotGoesToIt()
    {
        var (choker, peers) = Interested(slots: 2, peers: 3);
        peers[0].PeerInterested = false;

        choker.FreeSlot(peers[0], peers);

        Assert.Equal([true, false, false], peers.Select(p => p.AmChoking));
        Assert.Equal(2, choker.Unchoked);
    }

    [Fact]
    public void FreeSlot_NobodyWaits_ThePeerKeepsItsSlot()
    {
        var (choker, peers) = Interested(slots: 2, peers: 2);
        peers[0].PeerInterested = false;

        choker.FreeSlot(peers[0], peers);

        Assert.False(peers[0].AmChoking);
        Assert.Equal(2, choker.Unchoked);
    }

    [Fact]
    public void TryUnchoke_AllSlotsTakenOneByAnIdlePeer_ReclaimsThatSlot()
    {
        var (choker, peers) = Interested(slots: 2, peers: 2);
        peers[1].PeerInterested = false;
        choker.FreeSlot(peers[1], peers);
        var late = new FakePeer("late") { PeerInterested = true };
        peers.Add(late);

        choker.TryUnchoke(late, peers);

        Assert.Equal([false, true, false], peers.Select(p => p.AmChoking));
        Assert.Equal(2, choker.Unchoked);
    }

    [Fact]
    public void Closed_UnchokedPeer_FreesItsSlot()
    {
        var (choker, peers) = Interested(slots: 1, peers: 2);
        peers[0].IsClosed = true;
        choker.Closed(peers[0]);
        peers.RemoveAt(0);

        choker.TryUnchoke(peers[0], peers);

        Assert.False(peers[0].AmChoking);
        Assert.Equal(1, choker.Unchoked);
    }

    [Fact]
    public void TryUnchoke_HoldRouted_RoutedPeersStayChokedNearPeersAreServed()
    {
        var choker = new Choker(4) { HoldRouted = true };
        var near = new FakePeer("near") { PeerInterested = true };
        var routed = new FakePeer("routed") { PeerInterested = true, IsRouted = true };
        List<FakePeer> peers = [near, routed];

        choker.TryUnchoke(near, peers);
        choker.TryUnchoke(routed, peers);

        Assert.False(near.AmChoking);
        Assert.True(routed.AmChoking);
        Assert.Equal(1, choker.Unchoked);
    }

    [Fact]
    public void TryUnchoke_HoldSetAndCleared_ChokesTheUnchokedRoutedPeerThenServesItAgain()
    {
        var choker = new Choker(4);
        var routed = new FakePeer("routed") { PeerInterested = true, IsRouted = true };
        List<FakePeer> peers = [routed];
        choker.TryUnchoke(routed, peers);
        Assert.False(routed.AmChoking);

        choker.HoldRouted = true;
        choker.TryUnchoke(routed, peers);
        Assert.True(routed.AmChoking);
        Assert.Equal(0, choker.Unchoked);

        choker.HoldRouted = false;
        choker.TryUnchoke(routed, peers);
        Assert.False(routed.AmChoking);
        Assert.Equal(1, choker.Unchoked);
    }

    [Fact]
    public void FreeSlot_HoldRouted_TheSlotSkipsAWaitingRoutedPeer()
    {
        var choker = new Choker(1);
        var leaving = new FakePeer("leaving") { PeerInterested = true };
        var routed = new FakePeer("routed") { PeerInterested = true, IsRouted = true };
        var near = new FakePeer("near") { PeerInterested = true };
        List<FakePeer> peers = [leaving, routed, near];
        choker.TryUnchoke(leaving, peers);
        choker.HoldRouted = true;
        leaving.PeerInterested = false;

        choker.FreeSlot(leaving, peers);

        Assert.True(routed.AmChoking);
        Assert.False(near.AmChoking);
        Assert.Equal(1, choker.Unchoked);
    }
}
