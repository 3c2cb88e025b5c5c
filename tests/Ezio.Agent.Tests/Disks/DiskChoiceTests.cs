using Ezio.Agent.Disks;
using Ezio.Agent.Modes;
using Ezio.Agent.Tests.TestSupport;
using Ezio.Deployment.Contracts;
using Xunit;

namespace Ezio.Agent.Tests.Disks;

/// <summary>
/// The "auto" rule and the serial/WWN rules over fake sysfs trees laid out as the kernel lays
/// them out: /sys/block/NAME is a link into /sys/devices, through the bus the disk hangs off.
/// </summary>
public sealed class DiskChoiceTests : IDisposable
{
    private const long GiB = 1L << 30;
    private const string Sata = FakeSysfs.Sata;
    private const string Sata2 = FakeSysfs.Sata2;
    private const string Usb = FakeSysfs.Usb;
    private const string Mmc = FakeSysfs.Mmc;
    private const string FireWire = FakeSysfs.FireWire;
    private static readonly TargetDiskRule s_auto = new(TargetDiskKind.Auto, null);

    private readonly string _root = Directory.CreateTempSubdirectory("ezio-sysfs-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Sys => Path.Combine(_root, "sys");

    private void AddDisk(string name, string device, long size, bool removable = false, int sectorSize = 512,
        string? serial = null, string? wwid = null, byte[]? vpd80 = null, string[]? partitions = null) =>
        new FakeSysfs(Sys).AddDisk(name, device, size, removable, sectorSize, serial, wwid, vpd80, partitions);

    private IReadOnlyList<Disk> Disks() =>
        new DiskInventory(Sys, Path.Combine(_root, "dev"), Path.Combine(_root, "udev")).List();

    private Disk Auto(long imageSize, int sectorSize = 512, string mountInfo = "") =>
        DiskCheck.Select(s_auto, imageSize, "auto", Disks(), _ => null, sectorSize, mountInfo);

    /// <summary>The refusal, with the fake /dev root cut out of its text ("/tmp/x/dev/sda" reads "/dev/sda").</summary>
    private JobRefusedException Refused(TargetDiskRule rule, long imageSize, int sectorSize = 512, string mountInfo = "")
    {
        var e = Assert.Throws<JobRefusedException>(() => DiskCheck.Select(rule, imageSize, "auto", Disks(), _ => null, sectorSize, mountInfo));
        return new JobRefusedException(e.Reason, e.Message.Replace(_root, "", StringComparison.Ordinal));
    }

    [Fact]
    public void Inventory_ReadsTransportSectorSizeSerialAndWwn()
    {
        AddDisk("sda", Sata, 60 * GiB, serial: "S4EVNX0M", wwid: "naa.5000c500a1b2c3d4");
        AddDisk("sdb", Usb, 931 * GiB);
        AddDisk("sdc", FireWire, 100 * GiB, sectorSize: 4096);
        AddDisk("mmcblk0", Mmc, 32 * GiB);
        var disks = Disks().ToDictionary(d => d.Name);
        Assert.Null(disks["sda"].Transport);
        Assert.Equal("S4EVNX0M", disks["sda"].Serial);
        Assert.Equal("naa.5000c500a1b2c3d4", disks["sda"].Wwn);
        Assert.Equal("usb", disks["sdb"].Transport);
        Assert.False(disks["sdb"].Removable);
        Assert.True(disks["sdb"].IsExternal);
        Assert.Equal("firewire", disks["sdc"].Transport);
        Assert.Equal(4096, disks["sdc"].LogicalSectorSize);
        Assert.Equal("mmc", disks["mmcblk0"].Transport);
    }

    [Fact]
    public void Auto_UsbDiskLargeAndInternalTooSmall_RefusedNamingBothReasons()
    {
        AddDisk("sda", Sata, 60 * GiB);
        AddDisk("sdb", Usb, 931 * GiB);
        var e = Refused(s_auto, 100 * GiB);
        Assert.Equal(RefusalReason.NoSuchDisk, e.Reason);
        Assert.Contains("/dev/sda, 60.0 GiB", e.Message);
        Assert.Contains("too small (the image needs 100.0 GiB)", e.Message);
        Assert.Contains("/dev/sdb, 931.0 GiB, usb", e.Message);
        Assert.Contains("on USB", e.Message);
    }

    [Fact]
    public void Auto_UsbDiskBesideLargeEnoughInternal_PicksInternal()
    {
        AddDisk("sda", Sata, 120 * GiB);
        AddDisk("sdb", Usb, 931 * GiB);
        Assert.Equal("sda", Auto(100 * GiB).Name);
    }

    [Fact]
    public void Auto_MmcCardOnly_RefusedAsSdCard()
    {
        AddDisk("mmcblk0", Mmc, 64 * GiB);
        var e = Refused(s_auto, 8 * GiB);
        Assert.Equal(RefusalReason.NoSuchDisk, e.Reason);
        Assert.Contains("/dev/mmcblk0", e.Message);
        Assert.Contains("an SD/MMC card", e.Message);
    }

    [Fact]
    public void Auto_MmcBesideInternal_PicksInternal()
    {
        AddDisk("mmcblk0", Mmc, 64 * GiB);
        AddDisk("sda", Sata, 64 * GiB);
        Assert.Equal("sda", Auto(8 * GiB).Name);
    }

    [Fact]
    public void Auto_FireWireDisk_PassedOver()
    {
        AddDisk("sda", FireWire, 500 * GiB);
        Assert.Contains("on FireWire", Refused(s_auto, 8 * GiB).Message);
    }

    [Fact]
    public void Auto_4KnDiskFor512Image_RefusedNamingSectorSizes()
    {
        AddDisk("sda", Sata, 500 * GiB, sectorSize: 4096);
        var e = Refused(s_auto, 100 * GiB, sectorSize: 512);
        Assert.Equal(RefusalReason.NoSuchDisk, e.Reason);
        Assert.Contains("4096-byte sectors, the image has 512-byte sectors", e.Message);
        // The same disk takes an image with 4096-byte sectors.
        Assert.Equal("sda", Auto(100 * GiB, sectorSize: 4096).Name);
    }

    [Fact]
    public void Auto_4KnBeside512Disk_PicksTheMatchingOne()
    {
        AddDisk("sda", Sata, 500 * GiB, sectorSize: 4096);
        AddDisk("sdb", Sata2, 500 * GiB);
        Assert.Equal("sdb", Auto(100 * GiB).Name);
    }

    [Fact]
    public void Serial_Names4KnDiskFor512Image_RefusedSectorSize()
    {
        AddDisk("sda", Sata, 500 * GiB, sectorSize: 4096, serial: "S1");
        var e = Refused(new TargetDiskRule(TargetDiskKind.Serial, "S1"), GiB, sectorSize: 512);
        Assert.Equal(RefusalReason.SectorSize, e.Reason);
        Assert.StartsWith("sector-size: /dev/sda has 4096-byte logical sectors", e.ReportText);
    }

    [Fact]
    public void Auto_TwoInternalDisksOneTooSmall_PicksTheLargeOne()
    {
        AddDisk("sda", Sata, 60 * GiB);
        AddDisk("sdb", Sata2, 500 * GiB);
        Assert.Equal("sdb", Auto(100 * GiB).Name);
    }

    [Fact]
    public void Auto_TwoInternalDisksBothLargeEnough_RefusedAsAmbiguousNamingBoth()
    {
        AddDisk("sda", Sata, 500 * GiB);
        AddDisk("sdb", Sata2, 500 * GiB);
        AddDisk("sdc", Usb, 931 * GiB);
        var e = Refused(s_auto, 100 * GiB);
        Assert.Equal(RefusalReason.AmbiguousDisk, e.Reason);
        Assert.Contains("/dev/sda", e.Message);
        Assert.Contains("/dev/sdb", e.Message);
        Assert.Contains("/dev/sdc, 931.0 GiB, usb", e.Message);
    }

    [Fact]
    public void Auto_LiveMediumOnInternalDisk_PassedOver()
    {
        // Booted from a live image written to the first disk: its partition holds /run/live/medium.
        AddDisk("sda", Sata, 500 * GiB, partitions: ["8:1"]);
        AddDisk("sdb", Sata2, 500 * GiB);
        const string mountInfo = "25 1 8:1 / /run/live/medium ro,noatime - iso9660 /dev/sda1 ro\n";
        Assert.Equal("sdb", Auto(100 * GiB, mountInfo: mountInfo).Name);
        var alone = new DiskChoiceTests();
        try
        {
            alone.AddDisk("sda", Sata, 500 * GiB, partitions: ["8:1"]);
            Assert.Contains("the live system's medium (mounted on /run/live/medium)", alone.Refused(s_auto, GiB, mountInfo: mountInfo).Message);
        }
        finally
        {
            alone.Dispose();
        }
    }

    [Fact]
    public void Serial_FromVpdPage80_Matches()
    {
        byte[] page = [0x00, 0x80, 0x00, 0x0d, .. "  WD-WCC4N1X1"u8];
        AddDisk("sda", Sata, 500 * GiB);
        AddDisk("sdb", Sata2, 500 * GiB, vpd80: page);
        Assert.Equal("sdb", DiskCheck.Select(new TargetDiskRule(TargetDiskKind.Serial, "WD-WCC4N1X1"), 100 * GiB, "auto", Disks(), _ => null).Name);
    }

    [Fact]
    public void Serial_Missing_RefusedNamingDisksSeen()
    {
        AddDisk("sda", Sata, 500 * GiB, serial: "S1");
        var e = Refused(new TargetDiskRule(TargetDiskKind.Serial, "S9"), GiB);
        Assert.Equal(RefusalReason.NoSuchDisk, e.Reason);
        Assert.Contains("disks seen: /dev/sda, 500.0 GiB", e.Message);
        Assert.Contains("serial S1", e.Message);
    }

    [Theory]
    [InlineData("naa.5000c500a1b2c3d4")]
    [InlineData("0x5000C500A1B2C3D4")]
    [InlineData("/dev/disk/by-id/wwn-0x5000c500a1b2c3d4")]
    public void Wwn_AnySpelling_PicksThatDisk(string value)
    {
        AddDisk("sda", Sata, 500 * GiB, wwid: "naa.5000c500aaaaaaaa");
        AddDisk("sdb", Sata2, 500 * GiB, wwid: "naa.5000c500a1b2c3d4");
        Assert.Equal("sdb", DiskCheck.Select(new TargetDiskRule(TargetDiskKind.Wwn, value), 100 * GiB, "auto", Disks(), _ => null).Name);
    }

    [Fact]
    public void Wwn_NotPresent_RefusedNamingDisksSeen()
    {
        AddDisk("sda", Sata, 500 * GiB, wwid: "naa.5000c500aaaaaaaa");
        var e = Refused(new TargetDiskRule(TargetDiskKind.Wwn, "naa.5000c500a1b2c3d4"), GiB);
        Assert.Equal(RefusalReason.NoSuchDisk, e.Reason);
        Assert.Contains("wwn naa.5000c500aaaaaaaa", e.Message);
    }

    [Fact]
    public void Wwn_NamesUsbDisk_RefusedUnlessRemovableAllowed()
    {
        AddDisk("sdb", Usb, 931 * GiB, wwid: "naa.5000c500a1b2c3d4");
        var e = Refused(new TargetDiskRule(TargetDiskKind.Wwn, "naa.5000c500a1b2c3d4"), GiB);
        Assert.Equal(RefusalReason.Removable, e.Reason);
        Assert.Contains("on USB", e.Message);
        Assert.Equal("sdb", DiskCheck.Select(new TargetDiskRule(TargetDiskKind.Wwn, "naa.5000c500a1b2c3d4", AllowRemovable: true), GiB, "auto", Disks(), _ => null).Name);
    }

    [Theory]
    [InlineData(null, 0)]
    [InlineData("label: gpt\nunit: sectors\n", 512)]
    [InlineData("label: gpt\nunit: sectors\nsector-size: 4096\n", 4096)]
    [InlineData("label: gpt\nsector-size: many\n", -1)]
    public void ImageSectorSize_FromTheDump(string? dump, int expected) =>
        Assert.Equal(expected, PartitioningMode.SectorSize(dump));
}
