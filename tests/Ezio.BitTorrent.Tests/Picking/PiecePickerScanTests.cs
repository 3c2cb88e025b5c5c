using Ezio.BitTorrent.Picking;
using Xunit;

namespace Ezio.BitTorrent.Tests.Picking;

/// <summary>
/// The picker walks 64 pieces a word and skips what is had, busy or not held by the peer; it must
/// choose exactly what a piece-by-piece scan with the same random draws chooses.
/// </summary>
public sealed class PiecePickerScanTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(200)]
    [InlineData(1000)]
    public void Pick_MatchesPieceByPieceScan_OnRandomStates(int pieces)
    {
        var states = new Random(pieces);
        for (var round = 0; round < 200; round++)
        {
            var seed = states.Next();
            var picker = new PiecePicker(pieces, new Random(seed));
            var reference = new Reference(pieces, new Random(seed));
            var peerHas = states.Next(4) == 0 ? null : new Bitfield(pieces);
            for (var i = 0; i < pieces; i++)
            {
                var availability = states.Next(4);
                for (var a = 0; a < availability; a++)
                {
                    picker.IncrementAvailability(i);
                    reference.Availability[i]++;
                }
                var owners = states.Next(5) == 0 ? states.Next(1, 3) : 0;
                for (var o = 0; o < owners; o++)
                {
                    picker.AddOwner(i);
                    reference.Owners[i]++;
                }
                switch (states.Next(6))
                {
                    case 0:
                        picker.SetHave(i);
                        reference.Have[i] = true;
                        break;
                    case 1:
                        picker.MarkBusy(i);
                        reference.Busy[i] = true;
                        break;
                }
                if (peerHas is not null && states.Next(3) != 0)
                {
                    peerHas.Set(i);
                }
            }
            var excluded = new HashSet<int>(Enumerable.Range(0, pieces).Where(_ => states.Next(8) == 0));
            var endgame = states.Next(2) == 0;

            Assert.Equal(reference.Pick(peerHas, excluded.Contains, endgame), picker.Pick(peerHas, excluded.Contains, endgame));
            Assert.Equal(reference.InEndgame, picker.InEndgame);
        }
    }

    [Fact]
    public void AddAndRemoveAvailability_CountEveryPieceThePeerHas_AcrossWords()
    {
        var picker = new PiecePicker(130, new Random(1));
        var peer = new Bitfield(130);
        foreach (var i in new[] { 0, 63, 64, 127, 128, 129 })
        {
            peer.Set(i);
        }

        picker.AddAvailability(peer);
        picker.AddAvailability(peer);
        picker.RemoveAvailability(peer);

        Assert.Equal([1, 0, 1, 1, 0, 1, 1, 1], new[] { 0, 1, 63, 64, 65, 127, 128, 129 }.Select(picker.Availability));
    }

    /// <summary>The rule of <see cref="PiecePicker.Pick"/> written as one loop over every piece.</summary>
    private sealed class Reference(int pieces, Random random)
    {
        public int[] Availability { get; } = new int[pieces];

        public int[] Owners { get; } = new int[pieces];

        public bool[] Have { get; } = new bool[pieces];

        public bool[] Busy { get; } = new bool[pieces];

        public bool InEndgame => Enumerable.Range(0, pieces).All(i => Have[i] || Busy[i] || Owners[i] > 0);

        public int Pick(Bitfield? peerHas, Func<int, bool> exclude, bool endgame, int maxOwners = 2)
        {
            var best = -1;
            var bestRank = long.MaxValue;
            var ties = 0;
            for (var i = 0; i < pieces; i++)
            {
                if (Have[i] || Busy[i] || (peerHas is not null && !peerHas[i]))
                {
                    continue;
                }
                long rank;
                if (Owners[i] == 0)
                {
                    rank = Availability[i];
                }
                else if (endgame && Owners[i] < maxOwners)
                {
                    rank = ((long)Owners[i] << 32) + Availability[i];
                }
                else
                {
                    continue;
                }
                if (rank > bestRank || exclude(i))
                {
                    continue;
                }
                if (rank < bestRank)
                {
                    bestRank = rank;
                    best = i;
                    ties = 1;
                }
                else if (random.Next(++ties) == 0)
                {
                    best = i;
                }
            }
            return best;
        }
    }
}
