using Ezio.BitTorrent.Picking;
using Xunit;
using static Ezio.BitTorrent.Tests.Picking.PickerPicture;

namespace Ezio.BitTorrent.Tests.Picking;

public sealed class PiecePickerTests
{
    [Theory]
    [InlineData("availability: 3 1 2 4", 1)]
    [InlineData("availability: 5 5 5 1", 3)]
    [InlineData("availability: 0 9 9 9", 0)]
    [InlineData("availability: 2 2 2 2 2 2 2 1 2", 7)]
    public void Pick_FromSeed_ChoosesRarestPiece(string availability, int expected)
    {
        var picker = Picker(availability);

        Assert.Equal(expected, picker.Pick(Peer(null)));
    }

    [Fact]
    public void Pick_RarestPieceIsHad_ChoosesNextRarest()
    {
        var picker = Picker("availability: 1 3 0 2", have: "0010");

        Assert.Equal(0, picker.Pick(Peer(null)));
    }

    [Fact]
    public void Pick_RarestPieceIsBusy_ChoosesNextRarest()
    {
        var picker = Picker("availability: 1 3 4 2", busy: "1000");

        Assert.Equal(3, picker.Pick(Peer(null)));
    }

    [Fact]
    public void Pick_PeerLacksRarestPiece_ChoosesRarestItHas()
    {
        var picker = Picker("availability: 1 3 4 2");

        Assert.Equal(1, picker.Pick(Peer("0110")));
    }

    [Fact]
    public void Pick_RarestPieceExcluded_ChoosesNextRarest()
    {
        var picker = Picker("availability: 1 3 4 2");

        Assert.Equal(3, picker.Pick(Peer(null), exclude: i => i == 0));
    }

    [Fact]
    public void Pick_AllFiltersTogether_LeaveTheOnlyCandidate()
    {
        //                   piece: 0 1 2 3 4
        var picker = Picker("availability: 1 1 1 1 9", have: "10000", busy: "01000");

        var pick = picker.Pick(Peer("11101"), exclude: i => i == 2);

        Assert.Equal(4, pick);
    }

    [Theory]
    [InlineData("1111", "0000", null)]
    [InlineData("0000", "1111", null)]
    [InlineData("1100", "0000", "1100")]
    [InlineData("1000", "0100", "1100")]
    public void Pick_NothingFetchable_ReturnsMinusOne(string have, string busy, string? peer)
    {
        var picker = Picker("availability: 1 1 1 1", have: have, busy: busy);

        Assert.Equal(-1, picker.Pick(Peer(peer)));
    }

    [Fact]
    public void Pick_EveryPieceOnlyHadOrBusy_ReturnsMinusOneEvenInEndgame()
    {
        var picker = Picker("availability: 1 1 1", have: "101", busy: "010", owners: "010");

        Assert.Equal(-1, picker.Pick(Peer(null), endgame: true, maxOwners: 9));
    }

    [Fact]
    public void Pick_EqualRarity_SpreadsOverEveryTiedPiece()
    {
        //                          0 1 2 3 4 5
        var picker = Picker("availability: 2 2 5 2 2 3", seed: 42);
        var counts = new int[picker.PieceCount];

        for (var round = 0; round < 1000; round++)
        {
            counts[picker.Pick(Peer(null))]++;
        }

        // Four tied pieces: about 250 each; reservoir sampling off by one would starve some.
        foreach (var tied in new[] { 0, 1, 3, 4 })
        {
            Assert.InRange(counts[tied], 150, 350);
        }
        Assert.Equal(0, counts[2]);
        Assert.Equal(0, counts[5]);
    }

    [Fact]
    public void Pick_OneRarerPieceAmongTies_AlwaysWins()
    {
        var picker = Picker("availability: 2 2 2 1 2 2 2", seed: 7);

        for (var round = 0; round < 1000; round++)
        {
            Assert.Equal(3, picker.Pick(Peer(null)));
        }
    }

    [Fact]
    public void Pick_TiesWithExclusion_NeverReturnsExcluded()
    {
        var picker = Picker("availability: 1 1 1 1", seed: 3);
        var seen = new HashSet<int>();

        for (var round = 0; round < 1000; round++)
        {
            seen.Add(picker.Pick(Peer(null), exclude: i => i is 0 or 2));
        }

        Assert.Equal(new HashSet<int> { 1, 3 }, seen);
    }

    [Fact]
    public void Pick_EndgameOff_NeverChoosesAnOwnedPiece()
    {
        var picker = Picker("availability: 1 1 5", owners: "110");

        Assert.Equal(2, picker.Pick(Peer(null), endgame: false));
        Assert.Equal(-1, picker.Pick(Peer("110"), endgame: false));
    }

    [Fact]
    public void Pick_EndgameOnWithUnownedPiece_PrefersUnownedEvenIfCommoner()
    {
        var picker = Picker("availability: 1 9", owners: "10");

        Assert.Equal(1, picker.Pick(Peer(null), endgame: true));
    }

    [Fact]
    public void Pick_EndgameOn_ChoosesLeastOwnedThenRarest()
    {
        //                          0 1 2 3
        var picker = Picker("availability: 1 3 2 1", owners: "2113");

        Assert.Equal(2, picker.Pick(Peer(null), endgame: true, maxOwners: 4));
    }

    [Fact]
    public void Pick_EndgameOn_RespectsMaxOwners()
    {
        var picker = Picker("availability: 1 1 1", owners: "223");

        Assert.Equal(-1, picker.Pick(Peer(null), endgame: true, maxOwners: 2));
        Assert.InRange(picker.Pick(Peer(null), endgame: true, maxOwners: 3), 0, 1);
        Assert.Equal(2, picker.Pick(Peer("001"), endgame: true, maxOwners: 4));
    }

    [Fact]
    public void Pick_EndgameOn_SkipsPiecesThePeerAlreadyFetches()
    {
        var picker = Picker("availability: 1 2", owners: "11");

        Assert.Equal(1, picker.Pick(Peer(null), exclude: i => i == 0, endgame: true));
    }

    [Theory]
    [InlineData("000", "111", "000", true)]
    [InlineData("100", "010", "001", true)]
    [InlineData("100", "000", "011", true)]
    [InlineData("111", "000", "000", true)]
    [InlineData("100", "010", "000", false)]
    [InlineData("000", "110", "000", false)]
    [InlineData("000", "000", "000", false)]
    public void InEndgame_TrueOnlyWhenEveryMissingPieceIsOwnedOrBusy(string have, string owners, string busy, bool expected)
    {
        var picker = Picker("availability: 1 1 1", have: have, owners: owners, busy: busy);

        Assert.Equal(expected, picker.InEndgame);
    }

    [Fact]
    public void RemoveOwner_LastOwnerLeaves_PieceIsUnownedAgain()
    {
        var picker = Picker("availability: 1 5", owners: "10");
        Assert.Equal(1, picker.Pick(Peer(null), endgame: false));

        picker.RemoveOwner(0);

        Assert.Equal(0, picker.Pick(Peer(null), endgame: false));
        Assert.False(picker.InEndgame);
    }

    [Fact]
    public void SetHave_BusyPiece_ClearsBusyAndCountsIt()
    {
        var picker = Picker("availability: 1 1", busy: "10");

        picker.SetHave(0);

        Assert.False(picker.IsBusy(0));
        Assert.Equal(1, picker.HaveCount);
        Assert.Equal(1, picker.Pick(Peer(null)));
    }

    [Fact]
    public void ClearBusy_FailedWrite_PieceCanBePickedAgain()
    {
        var picker = Picker("availability: 1 5", busy: "10");
        Assert.Equal(1, picker.Pick(Peer(null)));

        picker.ClearBusy(0);

        Assert.Equal(0, picker.Pick(Peer(null)));
    }

    [Fact]
    public void AddAvailability_PeerBitfield_ChangesRarestChoice()
    {
        var picker = Picker("availability: 1 2 3");

        picker.AddAvailability(Bitfield.FromString("100"));
        picker.AddAvailability(Bitfield.FromString("110"));

        Assert.Equal("3 3 3", string.Join(' ', Enumerable.Range(0, 3).Select(picker.Availability)));
        picker.RemoveAvailability(Bitfield.FromString("110"));
        Assert.Equal(1, picker.Pick(Peer(null)));
    }

    [Fact]
    public void AddSeed_CountsForEveryPieceWithoutChangingOrder()
    {
        var picker = Picker("availability: 2 1");

        picker.AddSeed();
        picker.AddSeed();

        Assert.Equal(4, picker.Availability(0));
        Assert.Equal(3, picker.Availability(1));
        Assert.Equal(1, picker.Pick(Peer(null)));
        picker.RemoveSeed();
        Assert.Equal(2, picker.Availability(1));
    }
}
