using Ezio.BitTorrent.Picking;
using Xunit;

namespace Ezio.BitTorrent.Tests.Picking;

public sealed class BitfieldTests
{
    public static TheoryData<string> Pictures => new()
    {
        "",
        "1",
        "0",
        "1010011",
        "10100110",
        "101001101",
        new string('1', 64),
        new string('1', 63) + "0" + "1",
        string.Concat(Enumerable.Repeat("1100101", 19)),
    };

    [Theory]
    [MemberData(nameof(Pictures))]
    public void FromString_ToString_RoundTrips(string picture)
    {
        var bits = Bitfield.FromString(picture);

        Assert.Equal(picture, bits.ToString());
        Assert.Equal(picture.Length, bits.Length);
        Assert.Equal(picture.Count(c => c == '1'), bits.TrueCount);
    }

    [Theory]
    [MemberData(nameof(Pictures))]
    public void TryParse_WrittenBitfield_RoundTrips(string picture)
    {
        var wire = new byte[Bitfield.ByteLength(picture.Length)];

        Bitfield.FromString(picture).WriteTo(wire);

        Assert.True(Bitfield.TryParse(wire, picture.Length, out var parsed));
        Assert.Equal(picture, parsed.ToString());
    }

    [Fact]
    public void WriteTo_PutsPieceZeroInTheHighBit()
    {
        var wire = new byte[2];

        Bitfield.FromString("1010011" + "1" + "01").WriteTo(wire);

        Assert.Equal(new byte[] { 0b1010_0111, 0b0100_0000 }, wire);
    }

    [Fact]
    public void WriteTo_DirtyDestination_ClearsSpareBits()
    {
        byte[] wire = [0xFF, 0xFF];

        Bitfield.FromString("1000000001").WriteTo(wire);

        Assert.Equal(new byte[] { 0x80, 0x40 }, wire);
    }

    [Theory]
    [InlineData(9, 0b0100_0000)]
    [InlineData(9, 0b0000_0001)]
    [InlineData(15, 0b0000_0001)]
    [InlineData(10, 0b0010_0000)]
    public void TryParse_SpareBitSet_ReturnsFalse(int length, byte lastByte)
    {
        byte[] wire = [0xFF, lastByte];

        Assert.False(Bitfield.TryParse(wire, length, out _));
    }

    [Theory]
    [InlineData(8, 0)]
    [InlineData(8, 2)]
    [InlineData(9, 1)]
    [InlineData(0, 1)]
    [InlineData(100, 12)]
    [InlineData(100, 14)]
    public void TryParse_WrongByteCount_ReturnsFalse(int length, int bytes)
    {
        Assert.False(Bitfield.TryParse(new byte[bytes], length, out _));
    }

    [Fact]
    public void TryParse_EveryRealBitSet_ReturnsAllTrue()
    {
        byte[] wire = [0xFF, 0xFF, 0b1110_0000];

        Assert.True(Bitfield.TryParse(wire, 19, out var bits));

        Assert.True(bits.AllTrue);
    }

    [Fact]
    public void SetAndClear_ReportChangeAndKeepCount()
    {
        var bits = new Bitfield(70);

        Assert.True(bits.Set(69));
        Assert.False(bits.Set(69));
        Assert.True(bits.Set(0));
        Assert.Equal(2, bits.TrueCount);
        Assert.True(bits.Clear(69));
        Assert.False(bits.Clear(69));

        Assert.Equal("1" + new string('0', 69), bits.ToString());
        Assert.Equal(1, bits.TrueCount);
    }

    [Fact]
    public void CountAndNot_CountsPiecesOnlyOnTheLeft()
    {
        var ours = Bitfield.FromString("1101_0011".Replace("_", ""));
        var theirs = Bitfield.FromString("0101_1010".Replace("_", ""));

        Assert.Equal(2, ours.CountAndNot(theirs));
        Assert.Equal(1, theirs.CountAndNot(ours));
    }

    [Fact]
    public void Indexer_OutOfRange_Throws()
    {
        var bits = new Bitfield(3);

        Assert.Throws<ArgumentOutOfRangeException>(() => bits[3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => bits[-1]);
    }
}
