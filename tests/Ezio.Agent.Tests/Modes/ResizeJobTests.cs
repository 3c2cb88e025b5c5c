using Ezio.Agent.Disks;
using Ezio.Agent.Modes;
using Ezio.Deployment.Contracts;
using Ezio.Storage;
using Xunit;

namespace Ezio.Agent.Tests.Modes;

/// <summary>A job laid out anew: the plan on the chosen disk, the refusal below the minimum, the rewritten table.</summary>
public sealed class ResizeJobTests
{
    private const long MiB = 1 << 20;

    private const string Dump = """
        label: gpt
        label-id: 6D9C3E5A-1111-4222-8333-444455556666
        device: /dev/sda
        unit: sectors
        first-lba: 34
        last-lba: 524254
        sector-size: 512

        /dev/sda1 : start=        2048, size=       65536, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=0A0A0A0A-1111-4222-8333-444455556661, name="EFI"
        /dev/sda2 : start=       67584, size=      262144, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=0A0A0A0A-1111-4222-8333-444455556662, name="root"
        /dev/sda3 : start=      329728, size=      194527, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, uuid=0A0A0A0A-1111-4222-8333-444455556663
        """;

    private static readonly DiskResize s_resize = new(ResizePolicy.Proportional, 256 * MiB, 0,
    [
        new ResizePartition(1, 2048, 65536, true, 32 * MiB, null),
        new ResizePartition(2, 67584, 262144, false, 60 * MiB, "ext4"),
        new ResizePartition(3, 329728, 194527, false, 20 * MiB, "ntfs"),
    ]);

    private static Job JobFor(DiskResize resize) => Samples.Job() with { PartitionTable = Dump, Resize = resize };

    private static Disk DiskOf(long size) => new("sdz", "/dev/sdz", null, size, null, null, false, false, false, "8:0", [], []);

    private static DiskResize Resize => s_resize with
    {
        MinimumDiskSize = PartitionLayout.MinimumDiskSize(ResizeJob.Sources(s_resize), 512, gpt: true),
    };

    [Fact]
    public void Plan_SmallerDisk_ShrinksResizableKeepsEsp()
    {
        var layout = ResizeJob.Plan(JobFor(Resize), DiskOf(160 * MiB), 512);
        Assert.Equal(65536, layout[0].Size);
        Assert.True(layout[1].Size < 262144 && layout[1].Size >= 60 * MiB / 512);
        Assert.True(layout[2].Start + layout[2].Size <= 160 * MiB / 512 - 33);
    }

    [Fact]
    public void Plan_BelowMinimum_RefusedTooSmallNamingBothSizes()
    {
        var resize = Resize;
        var e = Assert.Throws<JobRefusedException>(() => ResizeJob.Plan(JobFor(resize), DiskOf(resize.MinimumDiskSize - 512), 512));
        Assert.Equal(RefusalReason.TooSmall, e.Reason);
        Assert.Contains($"({resize.MinimumDiskSize - 512} bytes)", e.Message);
        Assert.Contains($"({resize.MinimumDiskSize} bytes)", e.Message);
        Assert.StartsWith("too-small: /dev/sdz holds", e.ReportText);
    }

    [Fact]
    public void RewriteTable_MovesStartsAndSizes_DropsLbaLimits_KeepsTypesUuidsNames()
    {
        var layout = ResizeJob.Plan(JobFor(Resize), DiskOf(512 * MiB), 512);
        var table = ResizeJob.RewriteTable(Dump, layout);
        Assert.DoesNotContain("last-lba", table);
        Assert.DoesNotContain("first-lba", table);
        Assert.Contains("sector-size: 512", table);
        Assert.Contains($"/dev/sda2 : start={layout[1].Start}, size={layout[1].Size}, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=0A0A0A0A-1111-4222-8333-444455556662, name=\"root\"", table);
        Assert.Contains($"/dev/sda3 : start={layout[2].Start}, size={layout[2].Size}, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", table);
        Assert.Contains("/dev/sda1 : start=2048, size=65536, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B", table);
        Assert.True(layout[2].Size > 194527);
    }
}
