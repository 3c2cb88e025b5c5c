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
        var choice = new LowestRank();
        for (var w = 0; w < has.Length; w++)
        {
            var bits = has[w] & wanted[w];
            while (bits != 0)
            {
                var index = (w << 6) + BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                choice.Offer(index, picker.Availability(index), host.Random);
            }
        }
        return choice.Best;
    }

    /// <summary>Endgame: also a piece fewer than <paramref name="maxOwners"/> peers fetch, fewest owners, then rarest.</summary>
    public static int PickEndgame(Host host, PieceSet peerHas, List<int> exclude, int maxOwners = 2)
    {
        var picker = host.Picker;
        var has = peerHas.Words;
        var mine = host.HaveSet.Words;
        var choice = new LowestRank();
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
                if (!exclude.Contains(index))
                {
                    choice.Offer(index, ((long)owners << 32) + picker.Availability(index), host.Random);
                }
            }
        }
        return choice.Best;
    }

    // The lowest rank offered, ties broken uniformly at random as they come (one draw per tie,
    // none otherwise: the draws are those of PiecePicker.Pick).
    private struct LowestRank()
    {
        private long _rank = long.MaxValue;
        private int _ties;

        public int Best { get; private set; } = -1;

        public void Offer(int index, long rank, Random random)
        {
            if (rank > _rank)
            {
                return;
            }
            if (rank < _rank)
            {
                _rank = rank;
                Best = index;
                _ties = 1;
            }
            else if (random.Next(++_ties) == 0)
            {
                Best = index;
            }
        }
    }
}
