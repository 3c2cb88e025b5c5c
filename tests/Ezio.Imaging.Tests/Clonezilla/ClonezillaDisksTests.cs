using Ezio.Imaging.Clonezilla;
using Ezio.Imaging.Tests.TestSupport;
using Xunit;

namespace Ezio.Imaging.Tests.Clonezilla;

public sealed class ClonezillaDisksTests
{
    [Theory]
    [InlineData("sda1", "sda", true)]
    [InlineData("sda12", "sda", true)]
    [InlineData("sdaa1", "sda", false)]
    [InlineData("sdb1", "sda", false)]
    [InlineData("sda", "sda", false)]
    [InlineData("nvme0n1p2", "nvme0n1", true)]
    [InlineData("nvme0n12", "nvme0n1", false)]
    [InlineData("md126p1", "md126", true)]
    [InlineData("cciss-c0d0p1", "cciss-c0d0", true)]
    public void IsPartitionOf_Names_MatchesKernelNaming(string part, string disk, bool expected) =>
        Assert.Equal(expected, ClonezillaDisks.IsPartitionOf(part, disk));

    [Theory]
    [InlineData("sdb-pt.sf", "sdb")]
    [InlineData("sda-hidden-data-after-mbr", "sda")]
    [InlineData("sda-gpt-1st", "sda")]
    [InlineData("sdb1.ext4-ptcl-img.zst.aa", "sdb")]
    [InlineData("sdb2-ebr", "sdb")]
    [InlineData("swappt-sdb5.info", "sdb")]
    [InlineData("sdaa-pt.sf", "sdaa")]
    [InlineData("sdaa1.ext4-ptcl-img.zst", "sdaa")]
    [InlineData("cciss-c0d0p1.ext4-ptcl-img.gz", "cciss-c0d0")]
    [InlineData("cciss-c0d0-mbr", "cciss-c0d0")]
    [InlineData("parts", null)]
    [InlineData("Info-img-id.txt", null)]
    [InlineData("vgtest-root.ext4-ptcl-img.zst.aa", null)]
    public void DiskOfFile_ClonezillaNames_TheirDisk(string file, string? disk) =>
        Assert.Equal(disk, ClonezillaDisks.DiskOfFile(file, ["sda", "sdb", "sdaa", "cciss-c0d0"]));

    [Fact]
    public void DiskOfFile_EveryFileOfTheRealFixture_PerDiskFilesHaveTheirDisk()
    {
        string[] files = Directory.GetFiles(Fixture.Path("ocs-sr", "multi-disk")).Select(Path.GetFileName).OfType<string>().ToArray();

        Assert.All(files.Where(f => f.StartsWith("sda", StringComparison.Ordinal)), f => Assert.Equal("sda", ClonezillaDisks.DiskOfFile(f, ["sda", "sdb"])));
        Assert.All(files.Where(f => f.StartsWith("sdb", StringComparison.Ordinal)), f => Assert.Equal("sdb", ClonezillaDisks.DiskOfFile(f, ["sda", "sdb"])));
        Assert.All(files.Where(f => !f.StartsWith("sd", StringComparison.Ordinal)), f => Assert.Null(ClonezillaDisks.DiskOfFile(f, ["sda", "sdb"])));
    }
}
