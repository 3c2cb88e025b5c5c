using Ezio.Agent.Disks;
using Ezio.Agent.Tests.TestSupport;
using Ezio.TestKit.Processes;
using Xunit;

namespace Ezio.Agent.Tests.Disks;

/// <summary>When the kernel's partition node can stand for a partition (a fake /sys and /dev).</summary>
public sealed class PartitionDeviceTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ezio-partdev-").FullName;

    private string Sys => Path.Combine(_root, "sys");

    private string Dev => Path.Combine(_root, "dev");

    private void AddPartition(string disk, string name, int number, long start, long size, bool node = true)
    {
        var dir = Path.Combine(Sys, "block", disk, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "partition"), number + "\n");
        File.WriteAllText(Path.Combine(dir, "start"), start + "\n");
        File.WriteAllText(Path.Combine(dir, "size"), size + "\n");
        Directory.CreateDirectory(Dev);
        if (node)
        {
            File.WriteAllText(Path.Combine(Dev, name), "");
        }
    }

    [Fact]
    public void FindNode_SysfsMatchesTheTable_ReturnsTheNode()
    {
        AddPartition("nvme0n1", "nvme0n1p1", 1, 2048, 8192);
        AddPartition("nvme0n1", "nvme0n1p2", 2, 10240, 120799);

        var node = PartitionDevice.FindNode("nvme0n1", new Partition(2, 10240, 120799, "linux"), 512, Sys, Dev);

        Assert.Equal(Path.Combine(Dev, "nvme0n1p2"), node);
    }

    [Fact]
    public void FindNode_4KSectors_ComparesIn512ByteUnits()
    {
        AddPartition("sdb", "sdb1", 1, 256 * 8, 1000 * 8);

        Assert.NotNull(PartitionDevice.FindNode("sdb", new Partition(1, 256, 1000, "linux"), 4096, Sys, Dev));
    }

    [Fact]
    public void FindNode_KernelStillHasTheOldSize_Null()
    {
        AddPartition("sda", "sda2", 2, 10240, 55263);

        Assert.Null(PartitionDevice.FindNode("sda", new Partition(2, 10240, 120799, "linux"), 512, Sys, Dev));
    }

    [Fact]
    public void FindNode_NoDevNodeWithoutUdev_Null()
    {
        AddPartition("loop3", "loop3p2", 2, 10240, 120799, node: false);

        Assert.Null(PartitionDevice.FindNode("loop3", new Partition(2, 10240, 120799, "linux"), 512, Sys, Dev));
    }

    [Fact]
    public void FindNode_NoSuchDisk_Null()
    {
        Assert.Null(PartitionDevice.FindNode("sdz", new Partition(1, 2048, 8192, "linux"), 512, Sys, Dev));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}

/// <summary>The loop fallback with the real losetup: a partition's byte range as its own device.</summary>
[Collection(SystemCollection.Name)]
public sealed class PartitionDeviceLoopTests
{
    [SystemFact]
    public async Task OpenAsync_NoPartitionNode_AttachesALoopOverTheRangeAndDetachesIt()
    {
        var dir = Directory.CreateTempSubdirectory("ezio-partloop-").FullName;
        try
        {
            var disk = Path.Combine(dir, "disk");
            using (var f = File.Create(disk))
            {
                f.SetLength(16 << 20);
            }
            Shell.Run("sgdisk", "-o", "-n", "1:2048:+4M", "-n", "2:0:0", disk);
            var partition = PartitionTable.ParseSfdiskJson(Shell.Run("sfdisk", "--json", disk)).Partitions.Single(p => p.Number == 2);
            var marker = "ezio-partition-2"u8.ToArray();
            using (var f = new FileStream(disk, FileMode.Open, FileAccess.Write))
            {
                f.Position = partition.Start * 512;
                f.Write(marker);
            }

            string path;
            await using (var device = await PartitionDevice.OpenAsync(disk, "no-such-disk", partition, 512, CancellationToken.None))
            {
                path = device.Path;
                Assert.True(device.IsLoop);
                Assert.Equal((partition.Size * 512).ToString(), Shell.Run("blockdev", "--getsize64", path));
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                var head = new byte[marker.Length];
                stream.ReadExactly(head);
                Assert.Equal(marker, head);
            }
            Assert.DoesNotContain(disk, Shell.Run("losetup", "--list", "--noheadings", "--output", "NAME,BACK-FILE"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
