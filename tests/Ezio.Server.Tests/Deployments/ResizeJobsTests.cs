using Ezio.BitTorrent.Metainfo;
using Ezio.Deployment.Contracts;
using Ezio.Imaging;
using Ezio.Server.Deployments;
using Ezio.Server.Images;
using Xunit;

namespace Ezio.Server.Tests.Deployments;

/// <summary>What the server puts into jobs for disks of other sizes: the image's layout facts and the request's policy.</summary>
public sealed class ResizeJobsTests
{
    private static readonly Torrent s_torrent = Torrent.Parse(TorrentBuilder.Create("img", [(["img"], 1 << 16)], (_, span) => span.Clear(),
        new TorrentBuildOptions { PieceLength = 1 << 14 }));

    private static ImageManifest Manifest(long minimum, bool compacted) => new()
    {
        DiskSize = 256 << 20,
        MinimumDiskSize = minimum,
        PartitionTable = new PartitionTableInfo
        {
            Label = "gpt",
            Partitions =
            [
                new PartitionInfo { Number = 1, Start = 2048, Size = 65536, FileSystem = "vfat", MinimumBytes = 32 << 20 },
                new PartitionInfo { Number = 2, Start = 67584, Size = 262144, FileSystem = "ext4", Resizable = true, MinimumBytes = 70 << 20, Compacted = compacted ? true : null },
            ],
        },
    };

    private static ImageEntry Entry(ImageManifest manifest) => new("img", s_torrent, [], () => throw new InvalidOperationException())
    {
        Resize = ResizeJobs.FromManifest(manifest),
        Compacted = manifest.PartitionTable.Partitions.Any(p => p.Compacted == true),
    };

    [Fact]
    public void FromManifest_PartitionsWithFixedMinimumAndTheFileSystemToGrow()
    {
        var resize = ResizeJobs.FromManifest(Manifest(120 << 20, compacted: false))!;
        Assert.Equal(new DiskResize(ResizePolicy.None, 256 << 20, 120 << 20, resize.Partitions), resize);
        Assert.Equal([new ResizePartition(1, 2048, 65536, true, 32 << 20, null), new ResizePartition(2, 67584, 262144, false, 70 << 20, "ext4")], resize.Partitions);
        Assert.Null(ResizeJobs.FromManifest(Manifest(0, compacted: false)));
    }

    [Fact]
    public void For_PolicyFromTheRequest_CompactedImagesProportionalByDefault_OthersKeepTheirLayout()
    {
        var plain = Entry(Manifest(120 << 20, compacted: false));
        var compacted = Entry(Manifest(120 << 20, compacted: true));
        var request = new CreateDeploymentRequest("img", ["all"]);
        Assert.Null(ResizeJobs.For(plain, request));
        Assert.Equal(ResizePolicy.Proportional, ResizeJobs.For(compacted, request)!.Policy);
        Assert.Equal(ResizePolicy.LastFills, ResizeJobs.For(plain, request with { Resize = ResizePolicy.LastFills })!.Policy);
        Assert.Null(ResizeJobs.For(compacted, request with { Resize = ResizePolicy.None }));
    }

    [Fact]
    public void Refusal_ResizeForAnImageWithoutMinimums_NamesTheImage()
    {
        var old = Entry(Manifest(0, compacted: false));
        Assert.Contains("image 'img' cannot be laid out", ResizeJobs.Refusal(old, new CreateDeploymentRequest("img", ["all"]) { Resize = ResizePolicy.Proportional }));
        Assert.Null(ResizeJobs.Refusal(old, new CreateDeploymentRequest("img", ["all"])));
    }
}
