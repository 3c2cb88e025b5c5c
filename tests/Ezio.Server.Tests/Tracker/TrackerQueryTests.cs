using Ezio.Server.Tracker;
using Xunit;

namespace Ezio.Server.Tests.Tracker;

public sealed class TrackerQueryTests
{
    [Fact]
    public void TryParse_BinaryValue_KeepsBytes()
    {
        Assert.True(TrackerQuery.TryParse("?info_hash=%00%FFa%20+&x", out var query, out _));
        Assert.Equal([0x00, 0xff, (byte)'a', 0x20, 0x20], query.GetBytes("info_hash"));
        Assert.Empty(query.GetBytes("x")!);
        Assert.Null(query.GetBytes("missing"));
    }

    [Theory]
    [InlineData("info_hash=%zz")]
    [InlineData("info_hash=%4")]
    [InlineData("info_hash=\u00e9")]
    public void TryParse_Hostile_Rejected(string raw)
    {
        Assert.False(TrackerQuery.TryParse(raw, out _, out var error));
        Assert.Equal("bad percent-encoding", error);
    }

    [Fact]
    public void TryParse_TooLong_Rejected()
    {
        Assert.False(TrackerQuery.TryParse("a=" + new string('b', TrackerQuery.MaxLength), out _, out var error));
        Assert.Equal("query too long", error);
    }

    [Fact]
    public void TryParse_ManyKeys_Rejected()
    {
        var raw = string.Join('&', Enumerable.Range(0, 100).Select(i => $"k{i}=1"));
        Assert.False(TrackerQuery.TryParse(raw, out _, out _));
    }
}
