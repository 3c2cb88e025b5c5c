namespace Ezio.Sim;

/// <summary>
/// Who a host uploads to, re-expressed from src/Ezio.BitTorrent/Engine/Choker.cs
/// (TryUnchoke, Reclaim, FreeSlot): every interested peer is unchoked up to MaxUnchoked;
/// a peer that loses interest hands its slot to one that waits, and an idle holder's slot is
/// taken back when a peer asks. No tit-for-tat. The count of idle holders is kept so a full
/// host answers "no slot" without walking its peers.
/// </summary>
public sealed class UploadSlots
{
    private readonly Swarm _swarm;

    public UploadSlots(Swarm swarm)
    {
        _swarm = swarm;
    }

    public void TryUnchoke(Host host, Peer peer)
    {
        if (peer.AmChoking && peer.PeerInterested && !peer.Closed && (host.Unchoked < (host.IsServer ? _swarm.Engine.ServerMaxUnchoked : _swarm.Engine.MaxUnchoked) || ReclaimSlot(host, peer)))
        {
            host.Unchoked++;
            SetChoking(host, peer, false);
        }
    }

    public void SetPeerInterested(Host host, Peer peer, bool interested)
    {
        var wasIdle = IsIdleHolder(peer);
        peer.PeerInterested = interested;
        host.IdleHolders += (IsIdleHolder(peer) ? 1 : 0) - (wasIdle ? 1 : 0);
        if (interested)
        {
            TryUnchoke(host, peer);
        }
        else
        {
            FreeSlot(host, peer);
        }
    }

    /// <summary>The connection closed: its slot, if it held one, is free.</summary>
    public static void Forget(Host host, Peer peer)
    {
        if (IsIdleHolder(peer))
        {
            host.IdleHolders--;
        }
        if (!peer.AmChoking)
        {
            host.Unchoked--;
        }
    }

    private bool ReclaimSlot(Host host, Peer waiting)
    {
        if (host.IdleHolders == 0)
        {
            return false;
        }
        foreach (var other in host.Peers)
        {
            if (other != waiting && !other.Closed && !other.AmChoking && !other.PeerInterested)
            {
                SetChoking(host, other, true);
                host.Unchoked--;
                return true;
            }
        }
        return false;
    }

    private void FreeSlot(Host host, Peer peer)
    {
        if (peer.AmChoking)
        {
            return;
        }
        foreach (var other in host.Peers)
        {
            if (other != peer && !other.Closed && other.AmChoking && other.PeerInterested)
            {
                SetChoking(host, peer, true);
                host.Unchoked--;
                TryUnchoke(host, other);
                return;
            }
        }
    }

    private static bool IsIdleHolder(Peer peer) => !peer.AmChoking && !peer.PeerInterested;

    // A choke drops the requests the peer had queued here and the piece on the wire to it.
    private void SetChoking(Host host, Peer peer, bool choke)
    {
        var wasIdle = IsIdleHolder(peer);
        peer.AmChoking = choke;
        host.IdleHolders += (IsIdleHolder(peer) ? 1 : 0) - (wasIdle ? 1 : 0);
        var flow = peer.Mirror.Inbound;
        if (choke)
        {
            _swarm.DropQueued(flow);
        }
        _swarm.Pump(flow);
        _swarm.Send(host, peer.Remote, choke ? EventKind.Choke : EventKind.Unchoke, peer.Mirror);
    }
}
