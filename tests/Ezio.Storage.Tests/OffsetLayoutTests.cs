using Ezio.Storage.Tests.TestSupport;
using Xunit;

namespace Ezio.Storage.Tests;

public sealed class OffsetLayoutTests
{
    [Theory]
    [InlineData("00000000000000000000000001480000", true)]
    [InlineData("000000000000000000000000012F5000", true)]
    [InlineData("0000000000000000000000000148000", false)]
    [InlineData("000000000000000000000000014800000", false)]
    [InlineData("0000000000000000000000000148000g", false)]
    [InlineData("0x000000000000000000000000148000", false)]
    [InlineData("00000000000000008000000000000000", false)]
    [InlineData("00000000000000007fffffffffffffff", true)]
    [InlineData("sda1.img", false)]
    public void IsOffsetLayout_Names(string name, bool expected)
    {
        var files = TorrentFiles.Named(("sda1/" + name, 10));
        Assert.Equal(expected, OffsetLayout.IsOffsetLayout(files));
    }

    [Fact]
    public void TryCreate_ClonezillaDemo_MapsNamesToOffsets()
    {
        // specs/partclone-btfiles.md §4 demo listing.
        var files = TorrentFiles.Offsets((0, 0x1000000), (0x1000000, 0x2f4000), (0x12f5000, 0xa000), (0x1301000, 0x13000));
        Assert.True(OffsetLayout.TryCreate(files, out ExtentMap? map));
        Assert.Equal(0x1314000, map.TargetEnd);
        Assert.Equal(0x1000000 + 0x2f4000 + 0xa000 + 0x13000, map.TorrentLength);
        Assert.Equal(0x12f5000, map.Extents[2].TargetOffset);
    }

    [Fact]
    public void TryCreate_MixedNames_False()
    {
        var files = TorrentFiles.Named(("d/" + OffsetLayout.FormatName(0), 10), ("d/readme.txt", 5));
        Assert.False(OffsetLayout.TryCreate(files, out ExtentMap? map));
        Assert.Null(map);
        var ex = Assert.Throws<TargetRefusedException>(() => OffsetLayout.Create(files));
        Assert.Equal(TargetRefusalReason.InvalidLayout, ex.Reason);
        Assert.Contains("readme.txt", ex.Message);
    }

    [Fact]
    public void FormatName_Is32LowercaseHex()
    {
        Assert.Equal("00000000000000000000000001480000", OffsetLayout.FormatName(0x1480000));
    }
}
