using Ezio.Imaging.Build;
using Ezio.Storage;
using Xunit;

namespace Ezio.Imaging.Tests.Build;

/// <summary>Which partitions a manifest lets a disk of another size resize, and the smallest disk.</summary>
public sealed class ResizeFactsTests
{
    private const long MiB = 1 << 20;

    private static ImageManifest Manifest(string label, params PartitionInfo[] partitions) => new()
    {
        DiskSize = 256 * MiB,
        LogicalSectorSize = 512,
        PartitionTable = new PartitionTableInfo { Label = label, Partitions = [.. partitions] },
    };

    private static PartitionInfo Part(int number, long startMiB, long sizeMiB, string type, string? fs, string content, long minimum, bool? compacted = null) => new()
    {
        Number = number, Start = startMiB * 2048, Size = sizeMiB * 2048, Type = type, FileSystem = fs, Content = content,
        MinimumBytes = minimum, Compacted = compacted,
    };

    [Fact]
    public void Fill_GrowableFileSystemsResizable_EspSwapRawAndFatFixed_MinimumDiskFromTheLayout()
    {
        ImageManifest m = Manifest("gpt",
            Part(1, 1, 32, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "vfat", "partclone", 1 * MiB),
            Part(2, 33, 128, "0FC63DAF-8483-4772-8E79-3D69D8477DE4", "ext4", "partclone", 70 * MiB, compacted: true),
            Part(3, 161, 40, "0FC63DAF-8483-4772-8E79-3D69D8477DE4", "xfs", "partclone", 40 * MiB),
            Part(4, 201, 8, "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F", "swap", "swap", 4096),
            Part(5, 209, 40, "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "ntfs", "partclone", 18 * MiB, compacted: true));
        ResizeFacts.Fill(m);
        Assert.Equal([false, true, true, false, true], m.PartitionTable.Partitions.Select(p => p.Resizable));
        // Fixed partitions need their whole size; a compacted NTFS gets 1 MiB of room to be grown into.
        Assert.Equal([32 * MiB, 70 * MiB, 40 * MiB, 8 * MiB, 19 * MiB], m.PartitionTable.Partitions.Select(p => p.MinimumBytes));
        Assert.Equal((1 + 32 + 70 + 40 + 8 + 19) * MiB + 33 * 512, m.MinimumDiskSize);
        Assert.Equal(m.MinimumDiskSize, PartitionLayout.MinimumDiskSize(ResizeFacts.SourcePartitions(m), 512, gpt: true));
    }

    [Fact]
    public void Fill_DosLogicalPartitions_OrSeveralDisks_NotLaidOutAnew()
    {
        ImageManifest dos = Manifest("dos",
            Part(1, 1, 32, "83", "ext4", "partclone", 10 * MiB),
            Part(2, 33, 100, "5", null, "none", 0),
            Part(5, 34, 99, "83", "ext4", "partclone", 10 * MiB));
        ResizeFacts.Fill(dos);
        Assert.Equal(0, dos.MinimumDiskSize);

        ImageManifest two = Manifest("gpt", Part(1, 1, 32, "0FC63DAF-8483-4772-8E79-3D69D8477DE4", "ext4", "partclone", 10 * MiB));
        two.Disks = [new ImageDisk { Name = "sda" }, new ImageDisk { Name = "sdb" }];
        ResizeFacts.Fill(two);
        Assert.Equal(0, two.MinimumDiskSize);
    }

    [Fact]
    public void Fill_LeftEmptyOrFileSystemLargerThanItsPartition_IsFixed()
    {
        ImageManifest m = Manifest("gpt",
            Part(1, 1, 32, "0FC63DAF-8483-4772-8E79-3D69D8477DE4", "ext4", "partclone", 33 * MiB),
            Part(2, 33, 32, "0FC63DAF-8483-4772-8E79-3D69D8477DE4", "ext4", "partclone", 8 * MiB));
        m.PartitionTable.Partitions[1].LeftEmpty = "sda2.ext4-ptcl-img.gz.aa: missing";
        ResizeFacts.Fill(m);
        Assert.All(m.PartitionTable.Partitions, p => Assert.False(p.Resizable));
        Assert.All(m.PartitionTable.Partitions, p => Assert.Equal(32 * MiB, p.MinimumBytes));
    }
}
