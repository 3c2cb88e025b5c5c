using Ezio.Deployment.Contracts;
using Ezio.Imaging;
using Ezio.Server.Deployments;
using Xunit;

namespace Ezio.Server.Tests.Deployments;

public sealed class MultiDiskJobsTests
{
    private static readonly JobDisk[] TwoDisks = [new("sda", 64 << 20, 512, "label: gpt"), new("sdb", 64 << 20, 512, "label: dos")];

    [Fact]
    public void FromManifest_TwoDisks_EveryDiskWithItsTable()
    {
        var manifest = new ImageManifest
        {
            Disks =
            [
                new ImageDisk { Name = "sda", DiskSize = 1000, LogicalSectorSize = 512, PartitionTable = new PartitionTableInfo { Sfdisk = "label: gpt" } },
                new ImageDisk { Name = "sdb", Base = 1L << 56, DiskSize = 2000, LogicalSectorSize = 4096, PartitionTable = new PartitionTableInfo { Sfdisk = "" } },
            ],
        };

        IReadOnlyList<JobDisk>? disks = MultiDiskJobs.FromManifest(manifest);

        Assert.Equal([new JobDisk("sda", 1000, 512, "label: gpt"), new JobDisk("sdb", 2000, 4096, null)], disks);
        Assert.Null(MultiDiskJobs.FromManifest(new ImageManifest()));
    }

    [Fact]
    public void Refusal_SerialRuleWithOneSerialForTwoDisks_NamesTheDisks()
    {
        var request = new CreateDeploymentRequest("two", ["all"]) { DiskMapping = DiskMapping.Serial, DiskSerials = ["S1"] };

        Assert.Contains("2 disks (sda, sdb)", MultiDiskJobs.Refusal(TwoDisks, request));
        Assert.Null(MultiDiskJobs.Refusal(TwoDisks, request with { DiskSerials = ["S1", "S2"] }));
        Assert.NotNull(MultiDiskJobs.Refusal(TwoDisks, request with { DiskSerials = ["S1", "S1"] }));
    }

    [Fact]
    public void Refusal_MappingForSingleDiskImage_Refused()
    {
        var request = new CreateDeploymentRequest("one", ["all"]) { DiskMapping = DiskMapping.Size };

        Assert.NotNull(MultiDiskJobs.Refusal(null, request));
        Assert.Null(MultiDiskJobs.Refusal(null, new CreateDeploymentRequest("one", ["all"])));
    }

    [Fact]
    public void WithSerials_SerialRule_EachDiskGetsItsSerial()
    {
        Assert.Equal(["S1", "S2"], MultiDiskJobs.WithSerials(TwoDisks, ["S1", "S2"])!.Select(d => d.Serial));
    }
}
