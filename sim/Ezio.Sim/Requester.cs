namespace Ezio.Sim;

/// <summary>
/// What a host asks whom for, re-expressed from src/Ezio.BitTorrent/Engine/Requester.cs
/// (Fill, TryTakeOver, endgame in Won, Release) and the queue sizing of
/// RequestBudget.cs Update, at piece granularity: a peer is given whole pieces
/// while its unrequested bytes stay within half a second of its rate (what is in flight is
/// 100 ms of its rate, at least 64 KiB), rarest first; with nothing unowned left, an
/// unstarted piece moves from the peer with the most waiting; for the last pieces, a piece
/// another peer fetches (the first copy wins, the others are cancelled). Differences: a
/// piece given back (choke, close) is fetched again whole (the engine keeps its received
/// blocks), and a hungry peer is retried on its tick only when something it could take has
/// changed, or near the end.
/// </summary>
public sealed class Requester
{
    private readonly Swarm _swarm;
    private readonly EngineTunables _engine;
    private readonly int _maxPieces;

    public Requester(Swarm swarm)
    {
        _swarm = swarm;
        _engine = swarm.Engine;
        _maxPieces = (int)Math.Max(1, _engine.MaxInFlightBytes / swarm.Scenario.PieceLength);
    }

    private double Now => _swarm.Events.Now;

    public static bool NearEnd(Host host) => host.Picker.MissingCount <= Math.Max(4, host.Peers.Count);

    public void Fill(Host host, Peer peer)
    {
        peer.Hungry = false;
        if (peer.Closed || peer.PeerChoking || !peer.AmInterested || host.Complete || !host.Alive)
        {
            return;
        }
        while (Unrequested(peer) <= QueueTarget(peer) && peer.Assigned.Count < _engine.MaxPiecesPerPeer)
        {
            if (host.PiecesInFlight >= _maxPieces)
            {
                host.PoolStarved = true;
                GoHungry(host, peer);
                return;
            }
            var index = RarestFirst.Pick(host, peer.Has);
            if (index < 0 && TryTakeOver(host, peer))
            {
                continue;
            }
            if (index < 0 && _engine.Endgame != EndgamePolicy.Off && NearEnd(host) && host.Picker.InEndgame)
            {
                index = _engine.Endgame == EndgamePolicy.Slower ? PickSlower(host, peer) : RarestFirst.PickEndgame(host, peer.Has, peer.Assigned);
            }
            if (index < 0)
            {
                GoHungry(host, peer);
                return;
            }
            host.AddOwner(index);
            Assign(host, peer, index);
        }
    }

    // EndgamePolicy.Slower: the endgame's pick, skipping pieces whose fetching peers would
    // finish them sooner than this peer could fetch them whole.
    private int PickSlower(Host host, Peer peer)
    {
        var exclude = new List<int>(peer.Assigned);
        while (RarestFirst.PickEndgame(host, peer.Has, exclude) is var index and >= 0)
        {
            if (Worth(host, peer, index))
            {
                return index;
            }
            exclude.Add(index);
        }
        return -1;
    }

    private bool Worth(Host host, Peer peer, int index)
    {
        var size = _swarm.Scenario.PieceSize(index);
        foreach (var other in host.Peers)
        {
            if (other == peer || other.Closed || !other.Assigned.Contains(index))
            {
                continue;
            }
            var ours = size / Math.Max(peer.DownloadRate > 0 ? peer.DownloadRate : other.DownloadRate, 1);
            var theirs = RemainingThrough(other, index) / Math.Max(other.DownloadRate, 1);
            if (theirs <= ours)
            {
                return false;
            }
        }
        return true;
    }

    // Bytes the peer must still deliver before the piece is whole: its queue up to and with it.
    private double RemainingThrough(Peer peer, int index)
    {
        var flow = peer.Inbound;
        var total = 0.0;
        foreach (var assigned in peer.Assigned)
        {
            total += assigned == flow.Head ? flow.HeadRemaining - flow.InProgress(Now) : _swarm.Scenario.PieceSize(assigned);
            if (assigned == index)
            {
                break;
            }
        }
        return total;
    }

    public void RetryHungry(Host host)
    {
        foreach (var peer in host.Peers)
        {
            if (peer.Hungry)
            {
                Fill(host, peer);
            }
        }
    }

    private static void GoHungry(Host host, Peer peer)
    {
        peer.Hungry = true;
        peer.HungryEpoch = host.CandidateEpoch;
    }

    // Bytes of the peer's pieces not yet requested: what is assigned and not received, less
    // what is in flight (PeerDownloads.TopUp keeps 100 ms of the peer's rate requested).
    private double Unrequested(Peer peer)
    {
        var flow = peer.Inbound;
        var received = 0.0;
        if (flow.Head >= 0)
        {
            received = _swarm.Scenario.PieceSize(flow.Head) - (flow.HeadRemaining - flow.InProgress(Now));
        }
        var inFlight = Math.Clamp(peer.DownloadRate * _engine.RequestQueueSeconds, _engine.MinRequestBytes, _engine.MaxRequestBytes);
        return Math.Max(0, peer.AssignedBytes - received - inFlight);
    }

    private double QueueTarget(Peer peer) => Math.Clamp(peer.DownloadRate / 2, 0, _engine.PeerQueueBytes);

    private void Assign(Host host, Peer peer, int index)
    {
        if (peer.Assigned.Count == 0)
        {
            // The request timeout runs from when there is something to wait for again.
            peer.LastBlock = Now;
        }
        else
        {
            host.Waiting++;
            host.WaitingVersion++;
        }
        peer.Assigned.Add(index);
        if (peer.Assigned.Count == 2)
        {
            host.Queued.Add(peer);
        }
        peer.AssignedBytes += _swarm.Scenario.PieceSize(index);
        host.PiecesInFlight++;
        _swarm.Send(host, peer.Remote, EventKind.Request, peer.Mirror, index);
    }

    /// <summary>Takes the piece out of the peer's assigned list (arrived, cancelled or moved).</summary>
    public void Unassign(Host host, Peer peer, int position)
    {
        var index = peer.Assigned[position];
        if (peer.Assigned.Count > 1)
        {
            host.Waiting--;
        }
        peer.Assigned.RemoveAt(position);
        if (peer.Assigned.Count == 1)
        {
            var queued = host.Queued;
            var at = queued.IndexOf(peer);
            queued[at] = queued[^1];
            queued.RemoveAt(queued.Count - 1);
        }
        peer.AssignedBytes -= _swarm.Scenario.PieceSize(index);
        host.PiecesInFlight--;
        if (host.PoolStarved)
        {
            host.PoolStarved = false;
            host.CandidateEpoch++;
        }
    }

    // TryTakeOver: an unstarted piece (behind the first in its peer's queue) that this peer
    // has moves here from the peer with the most waiting.
    private bool TryTakeOver(Host host, Peer peer)
    {
        // Nothing to move, or nothing new since this peer last found nothing: candidates only
        // appear as pieces queue behind others or as the peer announces more.
        if (host.Waiting == 0 || (peer.TakeOverMissVersion == host.WaitingVersion && peer.TakeOverMissHas == peer.Has.Count))
        {
            return false;
        }
        Peer? from = null;
        var position = -1;
        var most = 0;
        // The peer with the most waiting, the older connection on a tie (the engine walks its
        // peers in the order they connected and keeps the first): only peers with a queue.
        foreach (var other in host.Queued)
        {
            var waiting = other.Assigned.Count - 1;
            if (other == peer || other.Closed || waiting < most || (waiting == most && (from is null || other.Serial > from.Serial)))
            {
                continue;
            }
            for (var i = other.Assigned.Count - 1; i >= 1; i--)
            {
                var candidate = other.Assigned[i];
                if (peer.Has[candidate] && candidate != other.Inbound.Head && !peer.Assigned.Contains(candidate))
                {
                    from = other;
                    position = i;
                    most = other.Assigned.Count - 1;
                    break;
                }
            }
        }
        if (from is null)
        {
            peer.TakeOverMissVersion = host.WaitingVersion;
            peer.TakeOverMissHas = peer.Has.Count;
            return false;
        }
        var index = from.Assigned[position];
        Unassign(host, from, position);
        from.Inbound.Pending.Remove(index);
        Assign(host, peer, index);
        _swarm.TakenOver++;
        return true;
    }

    /// <summary>OnHashed in endgame: the first copy verified, the other peers' copies are cancelled.</summary>
    public void CancelElsewhere(Host host, Peer winner, int index)
    {
        foreach (var other in host.Peers)
        {
            if (other == winner)
            {
                continue;
            }
            var position = other.Assigned.IndexOf(index);
            if (position < 0)
            {
                continue;
            }
            Unassign(host, other, position);
            host.Picker.RemoveOwner(index);
            var flow = other.Inbound;
            flow.Pending.Remove(index);
            if (flow.Head == index)
            {
                _swarm.DropHead(flow);
                _swarm.Pump(flow);
            }
        }
    }

    /// <summary>ReleaseDownload for every piece of a peer that choked us or left.</summary>
    public void Release(Host host, Peer peer)
    {
        _swarm.DropQueued(peer.Inbound);
        _swarm.Pump(peer.Inbound);
        for (var i = peer.Assigned.Count - 1; i >= 0; i--)
        {
            var index = peer.Assigned[i];
            Unassign(host, peer, i);
            host.RemoveOwner(index);
        }
    }
}
