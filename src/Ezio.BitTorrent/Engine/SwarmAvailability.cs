using Ezio.BitTorrent.Picking;

namespace Ezio.BitTorrent.Engine;

/// <summary>A seed's view of its swarm, for a piece map.</summary>
internal static class SwarmAvailability
{
    /// <summary>
    /// How many of <paramref name="peers"/> hold each of <paramref name="regions"/> equal parts
    /// of <paramref name="pieces"/> pieces: per region, the sum over peers of the share of its
    /// pieces they have (a peer with half of a region's pieces counts 0.5).
    /// </summary>
    public static double[] Compute(IEnumerable<Bitfield> peers, int pieces, int regions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(regions, 1);
        regions = Math.Min(regions, Math.Max(1, pieces));
        var counts = new double[regions];
        var sizes = new int[regions];
        for (var i = 0; i < pieces; i++)
        {
            sizes[(int)((long)i * regions / pieces)]++;
        }
        foreach (var bits in peers)
        {
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
        for (var r = 0; r < regions; r++)
        {
            counts[r] = sizes[r] > 0 ? counts[r] / sizes[r] : 0;
        }
        return counts;
    }
}
