using Ezio.BitTorrent.PeerWire;

namespace Ezio.BitTorrent.Engine;

// Super-seeding for a LAN: while we hold the only complete copy, we tell peers about a few
// pieces at a time, each piece nobody holds yet, round robin over the peers. Every piece
// leaves our uplink once before any leaves it twice, and only a few travel at once so each
// arrives quickly at full rate and its holder can pass it on while we send the next: the
// swarm's lag behind our uplink stays at about one piece whatever the number of peers. When
// every piece has reached some peer, everything is advertised and we seed normally.
public sealed partial class TorrentSession
{
    // At most two pieces (or 2 MiB of small ones) wait at one peer.
    private int SuperSeedWindow => (int)Math.Clamp((2L << 20) / Torrent.PieceLength, 2, 64);

    // Pieces on their way from us to their first holder: enough to keep our uplink busy over
    // the round trip between a have and the next request (4 MiB on the wire, at least three
    // pieces), and one for every peer we give to. Each piece shares its receiver's downlink
    // with what the other peers send it, so it arrives at a fraction of that link; with fewer
    // pieces out than peers our uplink would idle while the swarm waits for new pieces.
    // Compressed pieces cost less on the wire, so more of them fit: what the pieces out so
    // far cost tells.
    private int SuperSeedInFlight(int receivers)
    {
        var perPiece = _seenCount > 0 ? Math.Max(16L << 10, Interlocked.Read(ref _uploaded) / _seenCount) : Torrent.PieceLength;
        var byBytes = (int)Math.Clamp((4L << 20) / Math.Min(perPiece, Torrent.PieceLength), 3, 64);
        return Math.Min(Math.Max(byBytes, receivers), 256);
    }

    // A piece handed to a peer that has not announced it after this long may be handed to
    // another: the first peer may be stuck, or may never ask for it.
    private static readonly TimeSpan StaleGiven = TimeSpan.FromSeconds(20);

    /// <summary>Hands out pieces until the in-flight budget or every peer's window is full.</summary>
    private void AllotAll()
    {
        _allotDue = false;
        if (!_superSeeding)
        {
            return;
        }
        var now = Time.GetTimestamp();
        // Peers with no piece left to give are skipped for the rest of this pass.
        HashSet<PeerConnection>? exhausted = null;
        var receivers = 0;
        foreach (var peer in _peers)
        {
            receivers += peer.Advertised is not null && !peer.IsClosed ? 1 : 0;
        }
        var inFlight = SuperSeedInFlight(receivers);
        while (true)
        {
            PeerConnection? target = null;
            var ties = 0;
            foreach (var peer in _peers)
            {
                if (peer.Advertised is null || peer.IsClosed || peer.AdvertisedPending >= SuperSeedWindow || exhausted?.Contains(peer) == true)
                {
                    continue;
                }
                if (target is null || peer.AdvertisedPending < target.AdvertisedPending
                    || (peer.AdvertisedPending == target.AdvertisedPending && peer.GivenCount < target.GivenCount))
                {
                    target = peer;
                    ties = 1;
                }
                else if (peer.AdvertisedPending == target.AdvertisedPending && peer.GivenCount == target.GivenCount && _random.Next(++ties) == 0)
                {
                    target = peer;
                }
            }
            if (target is null)
            {
                return;
            }
            var piece = PickToGive(target, now, allowNew: _unseenGiven < inFlight);
            if (piece < 0)
            {
                (exhausted ??= []).Add(target);
                continue;
            }
            if (_given[piece] == 0)
            {
                _unseenGiven++;
            }
            target.Advertised!.Set(piece);
            _given[piece]++;
            _givenAt[piece] = now;
            target.AdvertisedPending++;
            target.GivenCount++;
            target.Send(new Outgoing(MessageId.Have, piece));
        }
    }

    // A piece nobody holds and the peer lacks: one never given (when the in-flight budget
    // allows), else one whose first recipient went stale.
    private int PickToGive(PeerConnection peer, long now, bool allowNew)
    {
        var advertised = peer.Advertised!;
        var best = -1;
        var bestGiven = int.MaxValue;
        var ties = 0;
        for (var i = 0; i < Torrent.PieceCount; i++)
        {
            // A piece some peer already holds travels between peers, never from us again
            // while pieces remain that nobody holds.
            if (advertised[i] || peer.RemoteBitfield[i] || _seen[i])
            {
                continue;
            }
            var given = _given[i];
            if (given == 0 ? !allowNew : Time.GetElapsedTime(_givenAt[i], now) < StaleGiven)
            {
                continue;
            }
            if (given < bestGiven)
            {
                best = i;
                bestGiven = given;
                ties = 1;
            }
            else if (given == bestGiven && _random.Next(++ties) == 0)
            {
                best = i;
            }
        }
        return best;
    }

    /// <summary>A peer announced a piece: once every piece is out there, seed normally.</summary>
    private void SuperSeedSeen(int index)
    {
        if (!_seen.Set(index))
        {
            return;
        }
        if (_given[index] > 0)
        {
            _unseenGiven--;
        }
        _allotDue = true;
        if (++_seenCount < Torrent.PieceCount)
        {
            return;
        }
        _superSeeding = false;
        var uploaded = Interlocked.Read(ref _uploaded);
        Volatile.Write(ref _superSeedUploaded, uploaded);
        TorrentSessionLog.SuperSeedDone(Options.Logger, uploaded);
        foreach (var peer in _peers)
        {
            if (peer.Advertised is not { } advertised)
            {
                continue;
            }
            for (var i = 0; i < Torrent.PieceCount; i++)
            {
                if (!advertised[i] && !peer.RemoteBitfield[i])
                {
                    peer.Send(new Outgoing(MessageId.Have, i));
                }
            }
            peer.Advertised = null;
        }
    }

    /// <summary>Pieces handed to a peer that left without announcing them may go to another.</summary>
    private void SuperSeedPeerGone(PeerConnection peer)
    {
        if (peer.Advertised is not { } advertised)
        {
            return;
        }
        for (var i = 0; i < Torrent.PieceCount; i++)
        {
            if (advertised[i] && !_seen[i] && _given[i] > 0 && --_given[i] == 0)
            {
                _unseenGiven--;
            }
        }
        _allotDue = true;
    }

    /// <summary>Once a second: hand out pieces whose first recipient went stale.</summary>
    private void SuperSeedSweep(long now)
    {
        if (_allotDue || Time.GetElapsedTime(_lastSweep, now) >= TimeSpan.FromSeconds(1))
        {
            _lastSweep = now;
            AllotAll();
        }
    }
}
