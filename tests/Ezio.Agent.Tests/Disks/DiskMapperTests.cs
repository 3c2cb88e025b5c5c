using Ezio.Agent.Disks;
using Ezio.Deployment.Contracts;
using Xunit;

namespace Ezio.Agent.Tests.Disks;

/// <summary>Image disks of a multi-disk job onto the machine's disks: by order, size, serial or ezio.disk; fewer disks refused naming them.</summary>
public sealed class DiskMapperTests
{
    private const long GiB = 1L << 30;

    private static readonly JobDisk[] TwoDisks = [new("sda", 100 * GiB, 512, "label: gpt"), new("sdb", 500 * GiB, 512, "label: dos")];

    private static string? Resolve(string path) => path.StartsWith("/dev/", StringComparison.Ordinal) ? path[5..] : null;

    [Fact]
    public void Map_Order_KernelOrderOfUsableDisksSkippingUsbAndLoop()
    {
        Disk[] disks = [Samples.Disk("sdc", 600 * GiB), Samples.Disk("loop0", 900 * GiB), Samples.Disk("sdb", 600 * GiB, removable: true),
            Samples.Disk("sda", 120 * GiB)];

        IReadOnlyList<Disk> chosen = DiskMapper.Map(TwoDisks, DiskMapping.Order, "auto", disks, Resolve);

        Assert.Equal(["sda", "sdc"], chosen.Select(d => d.Name));
    }

    [Fact]
    public void Map_OrderTargetTooSmall_RefusedNamingBoth()
    {
        Disk[] disks = [Samples.Disk("sda", 600 * GiB), Samples.Disk("sdb", 120 * GiB)];

        var e = Assert.Throws<JobRefusedException>(() => DiskMapper.Map(TwoDisks, DiskMapping.Order, "auto", disks, Resolve));

        Assert.Equal(RefusalReason.TooSmall, e.Reason);
        Assert.Contains("image disk sdb", e.Message);
        Assert.Contains("/dev/sdb", e.Message);
    }

    [Fact]
    public void Map_Size_LargestImageDiskFirstOntoSmallestFit()
    {
        Disk[] disks = [Samples.Disk("sda", 600 * GiB), Samples.Disk("sdb", 120 * GiB), Samples.Disk("nvme0n1", 2000 * GiB)];

        IReadOnlyList<Disk> chosen = DiskMapper.Map(TwoDisks, DiskMapping.Size, "auto", disks, Resolve);

        Assert.Equal(["sdb", "sda"], chosen.Select(d => d.Name));
    }

    [Fact]
    public void Map_Serial_EachImageDiskOntoItsSerial()
    {
        JobDisk[] bySerial = [TwoDisks[0] with { Serial = "S-BIG" }, TwoDisks[1] with { Serial = "S-SMALL" }];
        Disk[] disks = [Samples.Disk("sda", 600 * GiB, serial: "S-SMALL"), Samples.Disk("sdb", 600 * GiB, serial: "S-BIG")];

        IReadOnlyList<Disk> chosen = DiskMapper.Map(bySerial, DiskMapping.Serial, "auto", disks, Resolve);

        Assert.Equal(["sdb", "sda"], chosen.Select(d => d.Name));
    }

    [Fact]
    public void Map_SerialMissing_RefusedNamingTheSerial()
    {
        JobDisk[] bySerial = [TwoDisks[0] with { Serial = "S1" }, TwoDisks[1] with { Serial = "S2" }];
        Disk[] disks = [Samples.Disk("sda", 600 * GiB, serial: "S1")];

        var e = Assert.Throws<JobRefusedException>(() => DiskMapper.Map(bySerial, DiskMapping.Serial, "auto", disks, Resolve));

        Assert.Equal(RefusalReason.NoSuchDisk, e.Reason);
        Assert.Contains("serial S2", e.Message);
    }

    [Theory]
    [InlineData(DiskMapping.Order)]
    [InlineData(DiskMapping.Size)]
    public void Map_OneUsableDiskForTwo_RefusedNamingImageAndMachineDisks(DiskMapping rule)
    {
        Disk[] disks = [Samples.Disk("sda", 600 * GiB), Samples.Disk("sdb", 900 * GiB, removable: true)];

        var e = Assert.Throws<JobRefusedException>(() => DiskMapper.Map(TwoDisks, rule, "auto", disks, Resolve));

        Assert.Equal(RefusalReason.NoSuchDisk, e.Reason);
        Assert.Contains("the image holds 2 disks (sda 100.0 GiB, sdb 500.0 GiB)", e.Message);
        Assert.Contains("has 1 usable", e.Message);
        Assert.Contains("/dev/sdb (removable)", e.Message);
    }

    [Fact]
    public void Map_PinnedList_WinsOverTheRuleInImageOrder()
    {
        Disk[] disks = [Samples.Disk("loop3", 600 * GiB), Samples.Disk("loop1", 600 * GiB)];

        IReadOnlyList<Disk> chosen = DiskMapper.Map(TwoDisks, DiskMapping.Size, "/dev/loop3,/dev/loop1", disks, Resolve);

        Assert.Equal(["loop3", "loop1"], chosen.Select(d => d.Name));
    }

    [Fact]
    public void Map_PinnedOneDiskForTwo_Refused()
    {
        Disk[] disks = [Samples.Disk("sda", 600 * GiB)];

        var e = Assert.Throws<JobRefusedException>(() => DiskMapper.Map(TwoDisks, DiskMapping.Order, "/dev/sda", disks, Resolve));

        Assert.Contains("names 1", e.Message);
    }

    [Fact]
    public void Map_PinnedSameDiskTwice_Refused()
    {
        Disk[] disks = [Samples.Disk("sda", 600 * GiB)];

        var e = Assert.Throws<JobRefusedException>(() => DiskMapper.Map(TwoDisks, DiskMapping.Order, "/dev/sda,/dev/sda", disks, Resolve));

        Assert.Equal(RefusalReason.AmbiguousDisk, e.Reason);
    }

    [Fact]
    public void Map_Order_PassesOverUsbMmcFireWireAndTheLiveMedium()
    {
        // /dev/sda's first partition (8:1) is the live medium; sdb..sdd hang off external buses and say "not removable".
        string mountInfo = "36 25 8:1 / /run/live/medium ro,noatime - iso9660 /dev/sda1 ro\n";
        Disk[] disks = [Samples.Disk("sda", 600 * GiB, partitions: ["8:1"]), Samples.Disk("sdb", 900 * GiB) with { Transport = "usb" },
            Samples.Disk("sdc", 900 * GiB) with { Transport = "firewire" }, Samples.Disk("mmcblk0", 900 * GiB) with { Transport = "mmc" },
            Samples.Disk("sde", 600 * GiB), Samples.Disk("sdf", 600 * GiB)];

        IReadOnlyList<Disk> chosen = DiskMapper.Map(TwoDisks, DiskMapping.Order, "auto", disks, Resolve, mountInfo: mountInfo);

        Assert.Equal(["sde", "sdf"], chosen.Select(d => d.Name));
    }

    [Theory]
    [InlineData(DiskMapping.Order)]
    [InlineData(DiskMapping.Size)]
    public void Map_TooFewBesidesExternalAndLiveMedium_RefusedSayingWhy(DiskMapping rule)
    {
        string mountInfo = "36 25 8:1 / /run/live/medium ro,noatime - iso9660 /dev/sda1 ro\n";
        Disk[] disks = [Samples.Disk("sda", 600 * GiB, partitions: ["8:1"]), Samples.Disk("sdb", 900 * GiB) with { Transport = "usb" },
            Samples.Disk("sdc", 900 * GiB)];

        var e = Assert.Throws<JobRefusedException>(() => DiskMapper.Map(TwoDisks, rule, "auto", disks, Resolve, mountInfo: mountInfo));

        Assert.Equal(RefusalReason.NoSuchDisk, e.Reason);
        Assert.Contains("has 1 usable", e.Message);
        Assert.Contains("/dev/sda (the live system's medium, mounted on /run/live/medium)", e.Message);
        Assert.Contains("/dev/sdb (on USB)", e.Message);
    }

    [Fact]
    public void Map_Size_FitsOnlyADiskOfTheImageDisksSectorSize()
    {
        // The 600 GiB disk is the smallest fit for sdb by size, but it has 4096-byte sectors.
        Disk[] disks = [Samples.Disk("sda", 600 * GiB) with { LogicalSectorSize = 4096 }, Samples.Disk("sdb", 900 * GiB),
            Samples.Disk("sdc", 120 * GiB)];

        IReadOnlyList<Disk> chosen = DiskMapper.Map(TwoDisks, DiskMapping.Size, "auto", disks, Resolve);

        Assert.Equal(["sdc", "sdb"], chosen.Select(d => d.Name));
    }

    [Fact]
    public void Map_OrderOntoOtherSectorSize_RefusedNamingTheImageDisk()
    {
        Disk[] disks = [Samples.Disk("sda", 600 * GiB), Samples.Disk("sdb", 600 * GiB) with { LogicalSectorSize = 4096 }];

        var e = Assert.Throws<JobRefusedException>(() => DiskMapper.Map(TwoDisks, DiskMapping.Order, "auto", disks, Resolve));

        Assert.Equal(RefusalReason.SectorSize, e.Reason);
        Assert.Contains("image disk sdb", e.Message);
        Assert.Contains("/dev/sdb has 4096-byte logical sectors", e.Message);
    }

    [Fact]
    public void Map_PinnedUsbDisk_RefusedUnlessTheJobAllowsRemovable()
    {
        Disk[] disks = [Samples.Disk("sda", 600 * GiB), Samples.Disk("sdb", 600 * GiB) with { Transport = "usb" }];

        var e = Assert.Throws<JobRefusedException>(() => DiskMapper.Map(TwoDisks, DiskMapping.Order, "/dev/sda,/dev/sdb", disks, Resolve));

        Assert.Equal(RefusalReason.Removable, e.Reason);
        Assert.Contains("/dev/sdb (for image disk sdb) is on USB", e.Message);
        IReadOnlyList<Disk> allowed = DiskMapper.Map(TwoDisks, DiskMapping.Order, "/dev/sda,/dev/sdb", disks, Resolve, allowRemovable: true);
        Assert.Equal(["sda", "sdb"], allowed.Select(d => d.Name));
    }
}
