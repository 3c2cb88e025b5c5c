using Ezio.Storage.Tests.TestSupport;
using Xunit;

namespace Ezio.Storage.Tests;

public sealed class ExtentMapTests
{
    private static List<TargetRun> Runs(ExtentMap map, long offset, int length)
    {
        var runs = new List<TargetRun>();
        foreach (TargetRun run in map.GetRuns(offset, length))
        {
            runs.Add(run);
        }

        return runs;
    }

    [Fact]
    public void GetRuns_TargetContiguousExtents_Coalesce()
    {
        // Three files: the second continues the first on the target, the third jumps.
        ExtentMap map = OffsetLayout.Create(TorrentFiles.Offsets((1000, 100), (1100, 50), (5000, 30)));
        Assert.Equal([new TargetRun(1000, 0, 150), new TargetRun(5000, 150, 30)], Runs(map, 0, 180));
    }

    [Fact]
    public void GetRuns_MidExtentRange_StartsInsideExtent()
    {
        ExtentMap map = OffsetLayout.Create(TorrentFiles.Offsets((1000, 100), (3000, 50), (5000, 30)));
        Assert.Equal([new TargetRun(1090, 0, 10), new TargetRun(3000, 10, 50), new TargetRun(5000, 60, 5)], Runs(map, 90, 65));
        Assert.Equal([new TargetRun(3010, 0, 20)], Runs(map, 110, 20));
    }

    [Fact]
    public void GetRuns_OutsideTorrent_Throws()
    {
        var map = ExtentMap.Linear(100);
        Assert.Throws<ArgumentOutOfRangeException>(() => map.GetRuns(90, 11));
    }

    [Fact]
    public void Create_OverlappingExtents_RefusedNamingBoth()
    {
        var files = TorrentFiles.Offsets((0, 4096), (8192, 100), (4000, 200));
        var ex = Assert.Throws<TargetRefusedException>(() => OffsetLayout.Create(files));
        Assert.Equal(TargetRefusalReason.ExtentsOverlap, ex.Reason);
        Assert.Contains(OffsetLayout.FormatName(4000), ex.Message);
        Assert.Contains(OffsetLayout.FormatName(0), ex.Message);
        Assert.Contains("4096", ex.Message);
    }

    [Fact]
    public void Create_ZeroLengthFiles_Dropped()
    {
        ExtentMap map = OffsetLayout.Create(TorrentFiles.Offsets((0, 10), (10, 0), (10, 5)));
        Assert.Equal(2, map.Extents.Count);
        Assert.Equal(15, map.TorrentLength);
        Assert.Equal([new TargetRun(0, 0, 15)], Runs(map, 0, 15));
    }

    [Fact]
    public void EnsureFits_ExtentPastEnd_NamesExtent()
    {
        ExtentMap map = OffsetLayout.Create(TorrentFiles.Offsets((0, 10), (1 << 20, 4096)));
        Assert.Equal((1 << 20) + 4096, map.TargetEnd);
        map.EnsureFits((1 << 20) + 4096, "disk");
        var ex = Assert.Throws<TargetRefusedException>(() => map.EnsureFits(1 << 20, "disk"));
        Assert.Equal(TargetRefusalReason.ExtentPastEnd, ex.Reason);
        Assert.Contains(OffsetLayout.FormatName(1 << 20), ex.Message);
    }

    [Fact]
    public void Constructor_GapInTorrent_Refused()
    {
        var ex = Assert.Throws<TargetRefusedException>(() =>
            new ExtentMap([new Extent(0, 0, 10, "a"), new Extent(11, 20, 10, "b")], 21));
        Assert.Equal(TargetRefusalReason.InvalidLayout, ex.Reason);
    }

    [Fact]
    public void GetRuns_ManyExtents_BinarySearchFindsEach()
    {
        var specs = Enumerable.Range(0, 1000).Select(i => ((long)i * 10_000, 1000L)).ToArray();
        ExtentMap map = OffsetLayout.Create(TorrentFiles.Offsets(specs));
        for (int i = 0; i < 999; i += 37)
        {
            Assert.Equal([new TargetRun((i * 10_000L) + 500, 0, 500), new TargetRun((i + 1) * 10_000L, 500, 1)],
                Runs(map, (i * 1000L) + 500, 501));
        }

        Assert.Equal([new TargetRun(9_990_999, 0, 1)], Runs(map, 999_999, 1));
    }
}
