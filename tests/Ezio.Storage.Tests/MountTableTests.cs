using Xunit;

namespace Ezio.Storage.Tests;

public sealed class MountTableTests
{
    private const string Sample =
        "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n" +
        "30 22 0:25 / /proc rw shared:12 - proc proc rw\n" +
        "41 22 259:3 / /mnt/my\\040data rw,relatime shared:20 - ext4 /dev/nvme0n1p3 rw\n" +
        "garbage line\n";

    [Fact]
    public void Parse_ReadsDeviceMountPointAndSource()
    {
        var mounts = MountTable.Parse(Sample).ToList();
        Assert.Equal(3, mounts.Count);
        Assert.Equal(new MountTable.Mount(259, 3, "/mnt/my data", "/dev/nvme0n1p3"), mounts[2]);
    }

    [Fact]
    public void FindMountUsing_WholeDeviceMounted_Found()
    {
        string? found = MountTable.FindMountUsing(254, 1, Sample, "/nonexistent");
        Assert.NotNull(found);
        Assert.Contains("/dev/vda1", found);
        Assert.Null(MountTable.FindMountUsing(8, 0, Sample, "/nonexistent"));
    }

    [Fact]
    public void FindMountUsing_PartitionOfDiskMounted_FoundThroughSysfs()
    {
        // A fake sysfs: /sys/dev/block/259:3 -> ../../devices/nvme0n1/nvme0n1p3, parent disk 259:0.
        using var temp = new TempDirectory();
        string disk = Directory.CreateDirectory(temp.File("devices/nvme0n1")).FullName;
        File.WriteAllText(Path.Combine(disk, "dev"), "259:0\n");
        string part = Directory.CreateDirectory(Path.Combine(disk, "nvme0n1p3")).FullName;
        File.WriteAllText(Path.Combine(part, "dev"), "259:3\n");
        File.WriteAllText(Path.Combine(part, "partition"), "3\n");
        string devBlock = Directory.CreateDirectory(temp.File("dev/block")).FullName;
        File.CreateSymbolicLink(Path.Combine(devBlock, "259:3"), "../../devices/nvme0n1/nvme0n1p3");

        string? found = MountTable.FindMountUsing(259, 0, Sample, devBlock);
        Assert.NotNull(found);
        Assert.Contains("partition", found);
        Assert.Contains("/mnt/my data", found);
        Assert.Null(MountTable.FindMountUsing(259, 1, Sample, devBlock));
    }
}
