using Ezio.BitTorrent.Metainfo;
using Ezio.Imaging.Build;
using Ezio.Imaging.Partclone;
using Xunit;

namespace Ezio.Imaging.Tests.Build;

/// <summary>
/// The torrent's "ezio logical sector size" lets `ezio get` refuse a device of other sectors.
/// An image of several disks records it only when every disk has that size: with a 512-byte
/// and a 4096-byte disk no one size is true, and each disk's own is in image.json.
/// </summary>
public sealed class MultiDiskSectorSizeTests
{
    [Theory]
    [InlineData(512, 512, 512)]
    [InlineData(4096, 4096, 4096)]
    [InlineData(512, 4096, null)]
    public void Build_TwoDisks_RecordsTheSectorSizeOnlyWhenTheDisksShareIt(int first, int second, int? recorded)
    {
        using var temp = new TempDirectory();
        var manifest = new ImageManifest
        {
            Name = "two",
            Source = "test",
            DiskSize = 1 << 20,
            LogicalSectorSize = first,
            Disks =
            [
                new ImageDisk { Name = "sda", Base = 0, DiskSize = 1 << 20, LogicalSectorSize = first },
                new ImageDisk { Name = "sdb", Base = 1L << 56, DiskSize = 1 << 20, LogicalSectorSize = second },
            ],
        };
        DiskSegment[] segments =
        [
            new(0, RawBlockSource.FromBytes(new byte[4096]), "sda head"),
            new(1L << 56, RawBlockSource.FromBytes(new byte[4096]), "sdb head"),
        ];

        ImageManifest built = ImageBuilder.Build(temp.File("two"), manifest, [.. segments], new ImageBuildOptions());

        var torrent = Torrent.Parse(File.ReadAllBytes(Path.Combine(temp.File("two"), built.Torrent)));
        Assert.Equal(recorded, torrent.LogicalSectorSize);
    }
}
