using System.Security.Cryptography;
using Ezio.Storage.Tests.TestSupport;
using Xunit;

namespace Ezio.Storage.Tests;

/// <summary>
/// A torrent in the multi-disk offset layout (disk k at k × 2^56) written onto one file per
/// disk: every byte lands at its place on its own disk, pieces straddling two disks split, and
/// a wrong number of targets is refused before any target is touched.
/// </summary>
public sealed class MultiDiskStorageTests
{
    private static readonly long Disk1 = MultiDiskLayout.DiskBase(1);

    [Fact]
    public void Split_TwoDisks_RebasesEachDiskToItsOwnStart()
    {
        var files = TorrentFiles.Offsets((0, 446), (4096, 1000), (Disk1, 446), (Disk1 + (1 << 20), 5000));

        IReadOnlyList<DiskPart> parts = MultiDiskLayout.Split(files, 446 + 1000 + 446 + 5000);

        Assert.Equal(2, parts.Count);
        Assert.Equal((0L, 1446L), (parts[0].TorrentStart, parts[0].TorrentEnd));
        Assert.Equal((1446L, 1446L + 5446), (parts[1].TorrentStart, parts[1].TorrentEnd));
        Assert.Equal([0L, 1L << 20], parts[1].Map.Extents.Select(e => e.TargetOffset));
        Assert.Equal([0L, 446], parts[1].Map.Extents.Select(e => e.TorrentOffset));
        Assert.Equal(2, MultiDiskLayout.DiskCount(files));
    }

    [Fact]
    public void Split_DiskFilesInterleaved_Refused()
    {
        var files = TorrentFiles.Offsets((0, 10), (Disk1, 10), (4096, 10));

        var e = Assert.Throws<TargetRefusedException>(() => MultiDiskLayout.Split(files, 30));

        Assert.Equal(TargetRefusalReason.InvalidLayout, e.Reason);
    }

    [Fact]
    public void Split_ExtentCrossingIntoNextDisk_Refused()
    {
        var files = TorrentFiles.Offsets((Disk1 - 10, 20));

        var e = Assert.Throws<TargetRefusedException>(() => MultiDiskLayout.Split(files, 20));

        Assert.Contains("next disk", e.Message);
    }

    [Fact]
    public void WriteRead_PieceStraddlingTwoDisks_LandsOnBothAtTheirOffsets()
    {
        using var temp = new TempDirectory();
        var files = TorrentFiles.Offsets((0, 446), (8192, 3000), (Disk1, 446), (Disk1 + 65536, 7000));
        long total = 446 + 3000 + 446 + 7000;
        byte[] data = RandomNumberGenerator.GetBytes((int)total);
        string[] targets = [temp.File("a.img"), temp.File("b.img")];

        using (var storage = MultiDiskStorage.Open(files, total, targets))
        {
            // Pieces of 4096 bytes: the first holds disk 0's end and disk 1's start.
            for (int offset = 0; offset < total; offset += 4096)
            {
                storage.Write(offset, data.AsSpan(offset, (int)Math.Min(4096, total - offset)));
            }
            storage.Flush();
            var back = new byte[total];
            storage.Read(0, back);
            Assert.Equal(data, back);
        }

        byte[] a = File.ReadAllBytes(targets[0]);
        byte[] b = File.ReadAllBytes(targets[1]);
        Assert.Equal(8192 + 3000, a.Length);
        Assert.Equal(65536 + 7000, b.Length);
        Assert.Equal(data[..446], a[..446]);
        Assert.Equal(data[446..3446], a[8192..]);
        Assert.Equal(data[3446..3892], b[..446]);
        Assert.Equal(data[3892..], b[65536..]);
    }

    [Fact]
    public void Open_OneTargetForTwoDisks_RefusedBeforeTouchingIt()
    {
        using var temp = new TempDirectory();
        var files = TorrentFiles.Offsets((0, 446), (Disk1, 446));
        string only = temp.File("only.img");
        byte[] before = RandomNumberGenerator.GetBytes(4096);
        File.WriteAllBytes(only, before);

        var multi = Assert.Throws<TargetRefusedException>(() => MultiDiskStorage.Open(files, 892, [only]));
        var single = Assert.Throws<TargetRefusedException>(() => TargetStorage.Open(only, files, 892, isMultiFile: true, StorageLayout.Auto));

        Assert.Equal(TargetRefusalReason.DiskCount, multi.Reason);
        Assert.Contains("2 disks but 1 target", multi.Message);
        Assert.Equal(TargetRefusalReason.DiskCount, single.Reason);
        Assert.Equal(before, File.ReadAllBytes(only));
    }

    [Fact]
    public void Open_SecondTargetRefused_FirstIsClosedAndNothingWritten()
    {
        using var temp = new TempDirectory();
        var files = TorrentFiles.Offsets((0, 446), (Disk1, 446));
        Directory.CreateDirectory(temp.File("dir"));

        var e = Assert.Throws<TargetRefusedException>(() => MultiDiskStorage.Open(files, 892, [temp.File("a.img"), temp.File("dir")]));

        Assert.Equal(TargetRefusalReason.UnsupportedTargetType, e.Reason);
        Assert.All(File.ReadAllBytes(temp.File("a.img")), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Open_SingleDiskTorrent_CountsOneDisk()
    {
        var files = TorrentFiles.Offsets((0, 446), (1 << 20, 4096));
        Assert.Equal(1, MultiDiskLayout.DiskCount(files));
    }
}
