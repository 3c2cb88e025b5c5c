namespace Ezio.BitTorrent.Engine;

public sealed partial class TorrentSession
{
    /// <summary>
    /// How many connected peers hold each of <paramref name="regions"/> equal parts of the
    /// torrent: per region, the sum over peers of the share of its pieces they have (a peer
    /// with half of a region's pieces counts 0.5). A seed's view of its swarm, for a piece map;
    /// costs one pass over every peer's bitfield.
    /// </summary>
    public double[] PeerAvailability(int regions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(regions, 1);
        var pieces = Torrent.PieceCount;
        regions = Math.Min(regions, Math.Max(1, pieces));
        var counts = new double[regions];
        var sizes = new int[regions];
        for (var i = 0; i < pieces; i++)
        {
            sizes[(int)((long)i * regions / pieces)]++;
        }
        lock (_peers)
        {
            foreach (var peer in _peers)
            {
                var bits = peer.RemoteBitfield;
                if (bits.AllTrue)
                {
                    for (var r = 0; r < regions; r++)
                    {
                        counts[r] += sizes[r];
                    }
                    continue;
                }
                if (bits.AllFalse)
                {
                    continue;
                }
                for (var i = 0; i < pieces; i++)
                {
                    if (bits[i])
                    {
                        counts[(int)((long)i * regions / pieces)]++;
                    }
                }
            }
        }
        for (var r = 0; r < regions; r++)
        {
            counts[r] = sizes[r] > 0 ? counts[r] / sizes[r] : 0;
        }
        return counts;
    }
}
