namespace Ezio.BitTorrent.Engine;

/// <summary>
/// Upload slots. No tit-for-tat: on a LAN every interested peer is welcome, up to
/// <c>maxUnchoked</c> at once. A peer that wants nothing more from us hands its slot to a
/// peer waiting for one; with nobody waiting it keeps it, since a choke would cut the blocks
/// still on their way to it (and a super-seed would send them again). When every slot is
/// taken, one held by such an idle peer is taken back for a peer that asks. While
/// <see cref="HoldRouted"/> is set (a seed behind a router serves us), routed peers get no slot
/// (<see cref="PeerLocality"/>).
/// </summary>
/// <remarks>Owned by the swarm loop.</remarks>
internal sealed class Choker
{
    private readonly int _maxUnchoked;

    public Choker(int maxUnchoked) => _maxUnchoked = maxUnchoked;

    /// <summary>Peers we unchoke now.</summary>
    public int Unchoked { get; private set; }

    /// <summary>
    /// Routed peers are choked and get no slot (set by the swarm loop while we download and
    /// a seed behind a router serves us). The next <see cref="TryUnchoke"/> of each peer applies a change.
    /// </summary>
    public bool HoldRouted { get; set; }

    /// <summary>
    /// Unchokes an interested peer when a slot is free or can be reclaimed; chokes a routed
    /// peer while <see cref="HoldRouted"/>.
    /// </summary>
    public void TryUnchoke(IChokePeer peer, IReadOnlyList<IChokePeer> peers)
    {
        if (HoldRouted && peer.IsRouted)
        {
            if (!peer.AmChoking)
            {
                peer.SetAmChoking(true);
                Unchoked--;
            }
            return;
        }
        if (peer.AmChoking && peer.PeerInterested && (Unchoked < _maxUnchoked || Reclaim(peer, peers)))
        {
            Unchoked++;
            peer.SetAmChoking(false);
        }
    }

    /// <summary>The peer lost interest: its slot goes to a peer waiting for one, if any.</summary>
    public void FreeSlot(IChokePeer peer, IReadOnlyList<IChokePeer> peers)
    {
        if (peer.AmChoking)
        {
            return;
        }
        foreach (var other in peers)
        {
            if (other != peer && !other.IsClosed && other.AmChoking && other.PeerInterested && !(HoldRouted && other.IsRouted))
            {
                peer.SetAmChoking(true);
                Unchoked--;
                TryUnchoke(other, peers);
                return;
            }
        }
    }

    /// <summary>The peer's connection closed: its slot is free.</summary>
    public void Closed(IChokePeer peer)
    {
        if (!peer.AmChoking)
        {
            Unchoked--;
        }
    }

    private bool Reclaim(IChokePeer waiting, IReadOnlyList<IChokePeer> peers)
    {
        foreach (var other in peers)
        {
            if (other != waiting && !other.IsClosed && !other.AmChoking && !other.PeerInterested)
            {
                other.SetAmChoking(true);
                Unchoked--;
                return true;
            }
        }
        return false;
    }
}
