using Ezio.Agent.Disks;
using Ezio.Deployment.Contracts;
using Xunit;

namespace Ezio.Agent.Tests.Disks;

public sealed class DiskCheckTests
{
    private const long GiB = 1L << 30;
    private static readonly TargetDiskRule s_auto = new(TargetDiskKind.Auto, null);

    private static string? NoResolve(string path) => null;

    [Fact]
    public void Select_Auto_PicksTheOnlyFixedDiskLargeEnough()
    {
        var disks = new[] { Samples.Disk("sda", 8 * GiB), Samples.Disk("sdb", 100 * GiB), Samples.Disk("sdc", 200 * GiB, removable: true), Samples.Disk("loop0", 500 * GiB) };
        Assert.Equal("sdb", DiskCheck.Select(s_auto, 20 * GiB, "auto", disks, NoResolve).Name);
    }

    [Fact]
    public void Select_AutoWithTwoCandidates_RefusesAsAmbiguous()
    {
        var disks = new[] { Samples.Disk("sda", 100 * GiB), Samples.Disk("sdb", 100 * GiB) };
        var e = Assert.Throws<JobRefusedException>(() => DiskCheck.Select(s_auto, 20 * GiB, "auto", disks, NoResolve));
        Assert.Equal(RefusalReason.AmbiguousDisk, e.Reason);
    }

    [Fact]
    public void Select_PinnedDiskTooSmall_Refuses()
    {
        var disks = new[] { Samples.Disk("loop3", 16 << 20) };
        var e = Assert.Throws<JobRefusedException>(() => DiskCheck.Select(s_auto, 32 << 20, "/dev/loop3", disks, _ => "loop3"));
        Assert.Equal(RefusalReason.TooSmall, e.Reason);
        Assert.StartsWith("too-small: ", e.ReportText);
    }

    [Fact]
    public void Select_SerialNotPresent_RefusesNoSuchDisk()
    {
        var disks = new[] { Samples.Disk("sda", 100 * GiB, serial: "S1") };
        var e = Assert.Throws<JobRefusedException>(() => DiskCheck.Select(new TargetDiskRule(TargetDiskKind.Serial, "S2"), GiB, "auto", disks, NoResolve));
        Assert.Equal(RefusalReason.NoSuchDisk, e.Reason);
    }

    [Fact]
    public void Select_JobNamesAnotherDiskThanEzioDisk_RefusesWrongDisk()
    {
        var disks = new[] { Samples.Disk("sda", 100 * GiB, serial: "S1"), Samples.Disk("sdb", 100 * GiB, serial: "S2") };
        var e = Assert.Throws<JobRefusedException>(() => DiskCheck.Select(new TargetDiskRule(TargetDiskKind.Serial, "S2"), GiB, "/dev/sda", disks, _ => "sda"));
        Assert.Equal(RefusalReason.WrongDisk, e.Reason);
    }

    [Fact]
    public void Select_ByPath_MatchesTheLink()
    {
        var disks = new[] { Samples.Disk("sda", 100 * GiB, byPath: "/dev/disk/by-path/pci-0000:00:1f.2-ata-1") };
        var rule = new TargetDiskRule(TargetDiskKind.ByPath, "/dev/disk/by-path/pci-0000:00:1f.2-ata-1");
        Assert.Equal("sda", DiskCheck.Select(rule, GiB, "auto", disks, NoResolve).Name);
    }

    [Fact]
    public void Select_RemovableNamedDisk_RefusedUnlessAllowed()
    {
        var disks = new[] { Samples.Disk("sdc", 100 * GiB, removable: true, serial: "USB") };
        var e = Assert.Throws<JobRefusedException>(() => DiskCheck.Select(new TargetDiskRule(TargetDiskKind.Serial, "USB"), GiB, "auto", disks, NoResolve));
        Assert.Equal(RefusalReason.Removable, e.Reason);
        Assert.Equal("sdc", DiskCheck.Select(new TargetDiskRule(TargetDiskKind.Serial, "USB", AllowRemovable: true), GiB, "auto", disks, NoResolve).Name);
    }

    [Fact]
    public void CheckNotInUse_LiveMediumPartition_RefusesAsBootMedium()
    {
        var disk = Samples.Disk("sdb", 100 * GiB, device: "8:16", partitions: ["8:17"]);
        const string mountInfo = "25 1 8:17 / /run/live/medium ro,noatime - iso9660 /dev/sdb1 ro\n";
        var e = Assert.Throws<JobRefusedException>(() => DiskCheck.CheckNotInUse(disk, mountInfo, ""));
        Assert.Equal(RefusalReason.BootMedium, e.Reason);
    }

    [Fact]
    public void CheckNotInUse_MountedPartition_RefusesAsMounted()
    {
        var disk = Samples.Disk("sda", 100 * GiB, device: "8:0", partitions: ["8:1", "8:2"]);
        const string mountInfo = "22 1 0:21 / /proc rw - proc proc rw\n36 1 8:2 / /mnt/old rw - ext4 /dev/sda2 rw\n";
        var e = Assert.Throws<JobRefusedException>(() => DiskCheck.CheckNotInUse(disk, mountInfo, ""));
        Assert.Equal(RefusalReason.Mounted, e.Reason);
        Assert.Contains("/mnt/old", e.Message);
    }

    [Fact]
    public void CheckNotInUse_SwapOrHolder_RefusesAsInUse()
    {
        var disk = Samples.Disk("sda", 100 * GiB, partitions: ["8:1"]);
        const string swaps = "Filename Type Size Used Priority\n/dev/sda1 partition 1048572 0 -2\n";
        Assert.Equal(RefusalReason.InUse, Assert.Throws<JobRefusedException>(() => DiskCheck.CheckNotInUse(disk, "", swaps)).Reason);
        var held = Samples.Disk("sdb", 100 * GiB, holders: ["dm-0"]);
        Assert.Equal(RefusalReason.InUse, Assert.Throws<JobRefusedException>(() => DiskCheck.CheckNotInUse(held, "", "")).Reason);
    }

    [Fact]
    public void CheckNotInUse_UnusedDisk_Passes()
    {
        DiskCheck.CheckNotInUse(Samples.Disk("sda", GiB, partitions: ["8:1"]), "36 1 8:16 / / rw - ext4 /dev/sdb1 rw\n", "Filename Type Size Used Priority\n");
    }
}
