using Ezio.Storage.Tests.TestSupport;
using Xunit;

namespace Ezio.Storage.Tests;

/// <summary>Laying out an image's partitions on disks of other sizes, and moving the torrent's extents with them.</summary>
public sealed class PartitionLayoutTests
{
    private const long MiB = 1 << 20;
    private const int Sector = 512;
    private const long S = MiB / Sector; // sectors per MiB

    // A 1 GiB GPT source disk: ESP 64 MiB (fixed), root 512 MiB (ext4, 200 MiB minimum), data 400 MiB (NTFS, 30 MiB minimum).
    private static readonly SourcePartition[] s_source =
    [
        new(1, 1 * S, 64 * S, Fixed: true, 64 * MiB),
        new(2, 65 * S, 512 * S, Fixed: false, 200 * MiB),
        new(3, 577 * S, 400 * S, Fixed: false, 30 * MiB + 5),
    ];

    [Fact]
    public void MinimumDiskSize_FixedKeepTheirSize_ResizableTheirAlignedMinimum_PlusGptBackup()
    {
        // 1 MiB before the ESP, 64 + 200 + 31 MiB (30 MiB + 5 bytes rounds up), 33 sectors of backup.
        Assert.Equal((1 + 64 + 200 + 31) * MiB + 33 * Sector, PartitionLayout.MinimumDiskSize(s_source, Sector, gpt: true));
        Assert.Equal((1 + 64 + 200 + 31) * MiB, PartitionLayout.MinimumDiskSize(s_source, Sector, gpt: false));
    }

    [Fact]
    public void Plan_Proportional_ScalesResizableKeepsFixedAlignsAndLeavesRoomForTheBackup()
    {
        long disk = 2048 * MiB;
        var placed = PartitionLayout.Plan(s_source, Sector, gpt: true, disk, LayoutPolicy.Proportional);
        Assert.Equal([1, 2, 3], placed.Select(p => p.Number));
        Assert.Equal((1 * S, 64 * S), (placed[0].Start, placed[0].Size));
        Assert.All(placed, p => Assert.Equal(0, p.Start % S));
        Assert.All(placed.Skip(1), p => Assert.Equal(0, p.Size % S));
        // Room for the resizable ones: 2048 - 1 - 64 MiB, less the backup's 33 sectors (so 1982 whole MiB).
        Assert.Equal(1982 * S, placed[1].Size + placed[2].Size);
        // Same ratio as the source (512:400) within a MiB.
        Assert.InRange(placed[1].Size / (double)placed[2].Size, 512 / 400.0 - 0.01, 512 / 400.0 + 0.01);
        Assert.True(placed[2].Start + placed[2].Size <= disk / Sector - 33);
        Assert.Equal(placed[1].Start + placed[1].Size, placed[2].Start);
    }

    [Fact]
    public void Plan_SmallDisk_PinsAPartitionAtItsMinimumAndScalesTheOther()
    {
        // 600 MiB: proportional would give root (512/912) × 534 ≈ 299 MiB ≥ 200, data ≈ 234 ≥ 31: both scale.
        var placed = PartitionLayout.Plan(s_source, Sector, gpt: true, 600 * MiB, LayoutPolicy.Proportional);
        Assert.True(placed[1].Size >= 200 * S && placed[2].Size >= 31 * S);
        // 320 MiB: root's share would be below 200 MiB: it is pinned there and data gets the rest.
        placed = PartitionLayout.Plan(s_source, Sector, gpt: true, 320 * MiB, LayoutPolicy.Proportional);
        Assert.Equal(200 * S, placed[1].Size);
        Assert.Equal(320 - 1 - 64 - 200 - 1, placed[2].Size / S);
        Assert.True(placed[2].Start + placed[2].Size <= 320 * S - 33);
    }

    [Fact]
    public void Plan_LastFills_KeepsEarlierSizesLastTakesTheRest_ShrinksEarlierOnlyWhenNeeded()
    {
        var placed = PartitionLayout.Plan(s_source, Sector, gpt: true, 2048 * MiB, LayoutPolicy.LastFills);
        Assert.Equal(512 * S, placed[1].Size);
        Assert.Equal((2048 - 1 - 64 - 512 - 1) * S, placed[2].Size);
        placed = PartitionLayout.Plan(s_source, Sector, gpt: true, 400 * MiB, LayoutPolicy.LastFills);
        Assert.Equal(31 * S, placed[2].Size);
        Assert.Equal((400 - 1 - 64 - 31 - 1) * S, placed[1].Size);
    }

    [Fact]
    public void Plan_ExactlyTheMinimum_Fits_OneByteLess_IsRefusedNamingBothSizes()
    {
        long minimum = PartitionLayout.MinimumDiskSize(s_source, Sector, gpt: true);
        var placed = PartitionLayout.Plan(s_source, Sector, gpt: true, minimum, LayoutPolicy.Proportional);
        Assert.Equal([64 * S, 200 * S, 31 * S], placed.Select(p => p.Size));
        var e = Assert.Throws<TargetRefusedException>(() =>
            PartitionLayout.Plan(s_source, Sector, gpt: true, minimum - Sector, LayoutPolicy.Proportional, "/dev/sdx"));
        Assert.Equal(TargetRefusalReason.ExtentPastEnd, e.Reason);
        Assert.Contains($"/dev/sdx has {minimum - Sector} bytes", e.Message);
        Assert.Contains($"at least {minimum} bytes", e.Message);
    }

    [Fact]
    public void Relocate_MovesBytesWithTheirPartition_BootAreaStays_SplitsRunsAtPartitionEdges()
    {
        // Boot code at 0, a run in the ESP, one that runs from the end of root into data, one in data.
        ExtentMap map = OffsetLayout.Create(TorrentFiles.Offsets(
            (0, 446), (1 * MiB, 4096), (577 * MiB - 8192, 8192 + 4096), (577 * MiB + 20 * MiB, 8192)));
        var placed = PartitionLayout.Plan(s_source, Sector, gpt: true, 2048 * MiB, LayoutPolicy.Proportional);
        Assert.NotEqual(577 * S, placed[2].Start);
        ExtentMap moved = PartitionLayout.Relocate(map, placed, Sector);
        long dataStart = placed[2].Start * Sector;
        Assert.Equal(map.TorrentLength, moved.TorrentLength);
        Assert.Equal(
            [(0L, 446L), (1 * MiB, 4096L), (65 * MiB + 512 * MiB - 8192, 8192L), (dataStart, 4096L), (dataStart + 20 * MiB, 8192L)],
            moved.Extents.Select(e => (e.TargetOffset, e.Length)));
        Assert.Equal([0L, 446, 446 + 4096, 446 + 4096 + 8192, 446 + 4096 + 12288], moved.Extents.Select(e => e.TorrentOffset));
    }

    [Fact]
    public void Relocate_DataPastTheNewPartitionEnd_IsRefused()
    {
        // Data at 100 MiB into the NTFS partition, which is only 31 MiB on the smallest disk.
        ExtentMap map = OffsetLayout.Create(TorrentFiles.Offsets((577 * MiB + 100 * MiB, 4096)));
        var placed = PartitionLayout.Plan(s_source, Sector, gpt: true, PartitionLayout.MinimumDiskSize(s_source, Sector, gpt: true), LayoutPolicy.Proportional);
        var e = Assert.Throws<TargetRefusedException>(() => PartitionLayout.Relocate(map, placed, Sector));
        Assert.Contains("Partition 3", e.Message);
    }
}
