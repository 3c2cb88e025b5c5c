using Ezio.BitTorrent.Storage;
using Ezio.Storage.Tests.TestSupport;
using Xunit;

namespace Ezio.Storage.Tests;

/// <summary>RawTargetStorage on real loop devices. Needs root; mandatory under CI.</summary>
[Collection(BlockDeviceCollection.Name)]
public sealed class RawTargetStorageBlockDeviceTests
{
    [BlockDeviceFact]
    public void Write_LoopDeviceWithHoles_ExtentsWrittenHolesKeptDirectIoUsed()
    {
        using var temp = new TempDirectory();
        var scenario = new RawTargetScenario();
        string backing = temp.File("disk.img");
        File.WriteAllBytes(backing, scenario.Pattern);
        using var loop = LoopDevice.Attach(backing);

        using (var storage = RawTargetStorage.Open(loop.Path, scenario.Map))
        {
            Assert.True(storage.IsBlockDevice);
            Assert.True(storage.MayHaveData);
            Assert.Equal(RawTargetScenario.TargetSize, storage.TargetSize);
            Assert.True(storage.UsesDirectIo);
            Assert.Contains(storage.SectorSize, new[] { 512, 4096 });
            scenario.WriteAllPieces(storage);
            Assert.True(storage.DirectWriteCalls > 0, "aligned runs should go through O_DIRECT");
            Assert.True(storage.BufferedWriteCalls > 0, "unaligned edges should go through the buffered fd");
            scenario.AssertReadBackEqualsData(storage);
        }

        scenario.AssertTargetHolds(loop.ReadAll(RawTargetScenario.TargetSize));
    }

    [BlockDeviceFact]
    public void Open_ExtentPastDeviceEnd_RefusedNothingWritten()
    {
        using var temp = new TempDirectory();
        var pattern = new byte[1 << 20];
        new Random(3).NextBytes(pattern);
        string backing = temp.File("small.img");
        File.WriteAllBytes(backing, pattern);
        using var loop = LoopDevice.Attach(backing);

        var files = TorrentFiles.Offsets((0, 4096), ((1 << 20) - 4096, 8192));
        var ex = Assert.Throws<TargetRefusedException>(() => RawTargetStorage.Open(loop.Path, OffsetLayout.Create(files)));
        Assert.Equal(TargetRefusalReason.ExtentPastEnd, ex.Reason);
        Assert.Contains(OffsetLayout.FormatName((1 << 20) - 4096), ex.Message);
        Assert.Equal(pattern, loop.ReadAll(pattern.Length));
    }

    [BlockDeviceFact]
    public void Open_MountedDevice_Refused()
    {
        using var temp = new TempDirectory();
        string backing = temp.File("fs.img");
        using (var stream = File.Create(backing))
        {
            stream.SetLength(16 << 20);
        }

        using var loop = LoopDevice.Attach(backing);
        Shell.Run("mkfs.ext4", "-q", "-F", loop.Path);
        string mountPoint = Directory.CreateDirectory(temp.File("mnt")).FullName;
        Shell.Run("mount", "-t", "ext4", loop.Path, mountPoint);
        try
        {
            var ex = Assert.Throws<TargetRefusedException>(() => RawTargetStorage.Open(loop.Path, ExtentMap.Linear(4096)));
            Assert.Equal(TargetRefusalReason.Mounted, ex.Reason);
            Assert.Contains(mountPoint, ex.Message);
        }
        finally
        {
            Shell.Run("umount", mountPoint);
        }

        // Once unmounted the same device opens.
        using var storage = RawTargetStorage.Open(loop.Path, ExtentMap.Linear(4096));
        Assert.True(storage.IsBlockDevice);
    }

    [BlockDeviceFact]
    public void Write_PartitionLoopDevice_LandsAtPartitionOffset()
    {
        // losetup -o/--sizelimit stands in for a partition (no udev for /dev/loopNpM here).
        using var temp = new TempDirectory();
        var pattern = new byte[2 << 20];
        new Random(5).NextBytes(pattern);
        string backing = temp.File("disk.img");
        File.WriteAllBytes(backing, pattern);
        using var partition = LoopDevice.Attach(backing, offset: 1 << 20, sizeLimit: 512 * 1024);

        var data = new byte[8192];
        new Random(9).NextBytes(data);
        using (var storage = TargetStorage.Open(partition.Path, TorrentFiles.Offsets((4096, 8192)), 8192, isMultiFile: true, StorageLayout.Auto))
        {
            using var buffer = new AlignedBuffer(8192);
            data.CopyTo(buffer.Span);
            storage.Write(0, buffer.Span);
            storage.Flush();
        }

        byte[] expected = (byte[])pattern.Clone();
        data.CopyTo(expected, (1 << 20) + 4096);
        using var whole = LoopDevice.Attach(backing);
        Assert.True(expected.AsSpan().SequenceEqual(whole.ReadAll(pattern.Length)));
    }

    [BlockDeviceFact]
    public void Open_AutoSingleFileOntoBlockDevice_WritesImageFromZero()
    {
        using var temp = new TempDirectory();
        string backing = temp.File("disk.img");
        File.WriteAllBytes(backing, new byte[1 << 20]);
        using var loop = LoopDevice.Attach(backing);
        var files = TorrentFiles.Named(("disk.raw", 10_000));
        var data = new byte[10_000];
        new Random(11).NextBytes(data);
        using (ITorrentStorage storage = TargetStorage.Open(loop.Path, files, 10_000, isMultiFile: false, StorageLayout.Auto))
        {
            Assert.IsType<RawTargetStorage>(storage);
            storage.Write(0, data);
            storage.Flush();
        }

        byte[] content = loop.ReadAll(1 << 20);
        Assert.Equal(data, content[..10_000]);
        Assert.All(content[10_000..], b => Assert.Equal(0, b));
    }

    [BlockDeviceFact]
    public void Open_FilesLayoutOntoBlockDevice_Refused()
    {
        using var temp = new TempDirectory();
        string backing = temp.File("disk.img");
        File.WriteAllBytes(backing, new byte[1 << 20]);
        using var loop = LoopDevice.Attach(backing);
        var ex = Assert.Throws<TargetRefusedException>(() =>
            TargetStorage.Open(loop.Path, TorrentFiles.Named(("a/b", 10)), 10, isMultiFile: true, StorageLayout.Files));
        Assert.Equal(TargetRefusalReason.UnsupportedTargetType, ex.Reason);
    }
}
