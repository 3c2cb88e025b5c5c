using Ezio.BitTorrent.PeerWire;

namespace Ezio.BitTorrent.Engine;

// Super-seeding for a LAN: while we hold the only complete copy, each peer is told about a
// small window of pieces, preferring pieces nobody was given yet. Every piece leaves our
// uplink once before any leaves it twice; peers then trade among themselves. When every
// piece has been handed out at least once, everything is advertised and we seed normally.
public sealed partial class TorrentSession
{
    private int SuperSeedWindow => Math.Clamp((int)((32L << 20) / Torrent.PieceLength), 4, 128);

    private void Allot(PeerConnection peer)
    {
        if (peer.Advertised is not { } advertised || peer.IsClosed)
        {
            return;
        }
        while (peer.AdvertisedPending < SuperSeedWindow)
        {
            var best = -1;
            var bestGiven = int.MaxValue;
            var bestAvailability = int.MaxValue;
            var ties = 0;
            for (var i = 0; i < Torrent.PieceCount; i++)
            {
                if (advertised[i] || peer.RemoteBitfield[i])
                {
                    continue;
                }
                var given = _given[i];
                var availability = _picker.Availability(i);
                if (given < bestGiven || (given == bestGiven && availability < bestAvailability))
                {
                    best = i;
                    bestGiven = given;
                    bestAvailability = availability;
                    ties = 1;
                }
                else if (given == bestGiven && availability == bestAvailability && _random.Next(++ties) == 0)
                {
                    best = i;
                }
            }
            if (best < 0)
            {
                return;
            }
            advertised.Set(best);
            _given[best]++;
            peer.AdvertisedPending++;
            peer.Send(new Outgoing(MessageId.Have, best));
        }
        EndSuperSeedingWhenSpread();
    }

    private void EndSuperSeedingWhenSpread()
    {
        foreach (var given in _given)
        {
            if (given == 0)
            {
                return;
            }
        }
        _superSeeding = false;
        TorrentSessionLog.SuperSeedDone(Options.Logger);
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
}
