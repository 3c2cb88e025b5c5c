using Ezio.BitTorrent.PeerWire;

namespace Ezio.BitTorrent.Engine;

// Super-seeding for a LAN: while we hold the only complete copy, each peer is told about a
// small window of pieces, preferring pieces nobody was given yet. Every piece leaves our
// uplink once before any leaves it twice; peers then trade among themselves. When every
// piece has been handed out at least once, everything is advertised and we seed normally.
public sealed partial class TorrentSession
{
    // Two pieces (or 2 MiB of small ones) keep a peer's pipe from us full on a LAN, where
    // a have comes back within milliseconds of the piece; a wider window would hand the same
    // pieces to several peers before any of them could pass one on.
    private int SuperSeedWindow => (int)Math.Clamp((2L << 20) / Torrent.PieceLength, 2, 64);

    // A piece handed to a peer that has not announced it after this long may be handed to
    // another: the first peer may be stuck, or may never ask for it.
    private static readonly TimeSpan StaleGiven = TimeSpan.FromSeconds(20);

    private void Allot(PeerConnection peer)
    {
        if (peer.Advertised is not { } advertised || peer.IsClosed)
        {
            return;
        }
        var now = Time.GetTimestamp();
        while (peer.AdvertisedPending < SuperSeedWindow)
        {
            var best = -1;
            var bestGiven = int.MaxValue;
            var ties = 0;
            for (var i = 0; i < Torrent.PieceCount; i++)
            {
                // A piece some peer already holds travels between peers, never from us again
                // while pieces remain that nobody holds: our uplink is the swarm's only
                // source of those, and a second copy of anything delays them.
                if (advertised[i] || peer.RemoteBitfield[i] || _seen[i])
                {
                    continue;
                }
                var given = _given[i];
                if (given > 0 && Time.GetElapsedTime(_givenAt[i], now) < StaleGiven)
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
            if (best < 0)
            {
                break;
            }
            advertised.Set(best);
            _given[best]++;
            _givenAt[best] = now;
            peer.AdvertisedPending++;
            peer.Send(new Outgoing(MessageId.Have, best));
        }
    }

    /// <summary>A peer announced a piece: once every piece is out there, seed normally.</summary>
    private void SuperSeedSeen(int index)
    {
        if (!_seen.Set(index) || ++_seenCount < Torrent.PieceCount)
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
            if (advertised[i] && !_seen[i] && _given[i] > 0)
            {
                _given[i]--;
            }
        }
    }

    /// <summary>Once a second: hand out pieces whose first recipient went stale.</summary>
    private void SuperSeedSweep(long now)
    {
        if (Time.GetElapsedTime(_lastSweep, now) < TimeSpan.FromSeconds(1))
        {
            return;
        }
        _lastSweep = now;
        foreach (var peer in _peers)
        {
            Allot(peer);
        }
    }
}
