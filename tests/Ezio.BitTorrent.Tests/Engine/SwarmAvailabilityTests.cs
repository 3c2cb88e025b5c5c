using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.Picking;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

public sealed class SwarmAvailabilityTests
{
    // "1100": the peer has pieces 0 and 1 of four.
    private static Bitfield Has(string bits)
    {
        var field = new Bitfield(bits.Length);
        for (var i = 0; i < bits.Length; i++)
        {
            if (bits[i] == '1')
            {
                field.Set(i);
            }
        }
        return field;
    }

    [Fact]
    public void Compute_PeersHoldingParts_SumsEachPeersShareOfEachRegion()
    {
        var counts = SwarmAvailability.Compute([Has("11110000"), Has("11000011"), Has("11111111"), Has("00000000")], 8, regions: 4);
        Assert.Equal([3.0, 2, 1, 2], counts);
    }

    [Fact]
    public void Compute_UnevenRegions_DividesByEachRegionsSize()
    {
        // Seven pieces in three regions of 3, 2 and 2 pieces.
        var counts = SwarmAvailability.Compute([Has("1000001")], 7, regions: 3);
        Assert.Equal(1.0 / 3, counts[0], 6);
        Assert.Equal(0, counts[1]);
        Assert.Equal(0.5, counts[2], 6);
    }

    [Fact]
    public void Compute_MoreRegionsThanPieces_OnePerPiece()
    {
        var counts = SwarmAvailability.Compute([Has("101")], 3, regions: 100);
        Assert.Equal([1.0, 0, 1], counts);
    }

    [Fact]
    public void Compute_NoRegion_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SwarmAvailability.Compute([], 3, regions: 0));
}
