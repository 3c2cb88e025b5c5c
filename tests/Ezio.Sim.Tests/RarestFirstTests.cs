using Ezio.BitTorrent.Picking;
using Xunit;

namespace Ezio.Sim.Tests;

public sealed class RarestFirstTests
{
    // Random picker states: the simulator's pick is always one the engine's PiecePicker.Pick
    // could return (same rarity), and both find nothing at the same time.
    [Fact]
    public void Pick_AgreesWithTheEnginePicker()
    {
        var random = new Random(5);
        for (var round = 0; round < 200; round++)
        {
            const int pieces = 300;
            var host = new Host(1, false, 1e6, 1e6, pieces, new Random(round));
            var peerHas = new PieceSet(pieces);
            var bitfield = new Bitfield(pieces);
            for (var i = 0; i < pieces; i++)
            {
                if (random.Next(3) == 0)
                {
                    peerHas.Add(i);
                    bitfield.Set(i);
                }
                for (var a = random.Next(4); a > 0; a--)
                {
                    host.Picker.IncrementAvailability(i);
                }
                switch (random.Next(6))
                {
                    case 0:
                        host.SetHave(i);
                        break;
                    case 1:
                        host.AddOwner(i);
                        break;
                }
            }
            var ours = RarestFirst.Pick(host, peerHas);
            var engine = host.Picker.Pick(bitfield, endgame: false);
            Assert.Equal(engine < 0, ours < 0);
            if (ours >= 0)
            {
                Assert.True(peerHas[ours] && !host.Picker.Have[ours] && host.Picker.Owners(ours) == 0);
                Assert.Equal(host.Picker.Availability(engine), host.Picker.Availability(ours));
            }
        }
    }

    [Fact]
    public void PickEndgame_TakesAPieceOneOtherPeerFetches_NeverOneExcluded()
    {
        var host = new Host(1, false, 1e6, 1e6, 4, new Random(1));
        var peerHas = new PieceSet(4);
        peerHas.AddAll();
        host.SetHave(0);
        host.AddOwner(1);
        host.AddOwner(1);
        host.AddOwner(2);
        host.AddOwner(3);
        Assert.Equal(-1, RarestFirst.Pick(host, peerHas));
        Assert.Equal(3, RarestFirst.PickEndgame(host, peerHas, [2]));
        Assert.Equal(-1, RarestFirst.PickEndgame(host, peerHas, [2, 3]));
    }
}
