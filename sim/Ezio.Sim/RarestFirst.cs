using System.Numerics;

namespace Ezio.Sim;

/// <summary>
/// The engine's <see cref="Ezio.BitTorrent.Picking.PiecePicker.Pick"/> policy over the same
/// picker's counters, but walking only the pieces both the peer has and the host still needs
/// unowned (64 at a time) instead of every piece: a 10 GiB image has 5,120 pieces, and 1,000
/// hosts picking each of them by a full scan is beyond the budget. Same result set: among the
/// candidates the rarest, ties broken uniformly at random; in endgame, pieces fetched by fewer
/// than two peers after the unowned ones, fewest owners first (tests compare the two).
/// </summary>
public static class RarestFirst
{
    /// <summary>A piece nobody fetches that <paramref name="peerHas"/> holds and the host lacks, or -1.</summary>
    public static int Pick(Host host, PieceSet peerHas)
    {
        var picker = host.Picker;
        var has = peerHas.Words;
        var wanted = host.Unowned.Words;
        var best = -1;
        var bestRank = int.MaxValue;
        var ties = 0;
        for (var w = 0; w < has.Length; w++)
        {
            var bits = has[w] & wanted[w];
            while (bits != 0)
            {
                var index = (w << 6) + BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                var rank = picker.Availability(index);
                if (rank > bestRank)
                {
                    continue;
                }
                if (rank < bestRank)
                {
                    bestRank = rank;
                    best = index;
                    ties = 1;
                }
                else if (host.Random.Next(++ties) == 0)
                {
                    best = index;
                }
            }
        }
        return best;
    }

    /// <summary>Endgame: also a piece fewer than <paramref name="maxOwners"/> peers fetch, fewest owners, then rarest.</summary>
    public static int PickEndgame(Host host, PieceSet peerHas, List<int> exclude, int maxOwners = 2)
    {
        var picker = host.Picker;
        var has = peerHas.Words;
        var mine = host.HaveSet.Words;
        var best = -1;
        var bestRank = long.MaxValue;
        var ties = 0;
        for (var w = 0; w < has.Length; w++)
        {
            var bits = has[w] & ~mine[w];
            while (bits != 0)
            {
                var index = (w << 6) + BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                var owners = picker.Owners(index);
                if (picker.IsBusy(index) || owners >= maxOwners)
                {
                    continue;
                }
                var rank = ((long)owners << 32) + picker.Availability(index);
                if (rank > bestRank || exclude.Contains(index))
                {
                    continue;
                }
                if (rank < bestRank)
                {
                    bestRank = rank;
                    best = index;
                    ties = 1;
                }
                else if (host.Random.Next(++ties) == 0)
                {
                    best = index;
                }
            }
        }
        return best;
    }
}
