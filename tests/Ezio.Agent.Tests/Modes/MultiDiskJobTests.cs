using Ezio.Agent.Modes;
using Ezio.Deployment.Contracts;
using Xunit;

namespace Ezio.Agent.Tests.Modes;

public sealed class MultiDiskJobTests
{
    private static readonly JobDisk[] TwoDisks = [new("sda", 1 << 30, 512, null), new("sdb", 1 << 30, 512, null)];

    [Fact]
    public void SectorSizeMismatch_4KnTargetFor512Disk_NamesBoth()
    {
        string? why = MultiDiskJob.SectorSizeMismatch(TwoDisks, [("/dev/sda", true, 512), ("/dev/sdc", true, 4096)]);

        Assert.Equal("image disk sdb has 512-byte sectors but /dev/sdc, its target, has 4096-byte sectors", why);
    }

    [Fact]
    public void SectorSizeMismatch_SameSizesOrFiles_None()
    {
        Assert.Null(MultiDiskJob.SectorSizeMismatch(TwoDisks, [("/dev/sda", true, 512), ("/dev/sdb", true, 512)]));
        Assert.Null(MultiDiskJob.SectorSizeMismatch(TwoDisks, [("/a.img", false, 4096), ("/b.img", false, 4096)]));
    }
}
