using Ezio.Agent.Disks;
using Ezio.BitTorrent.Metainfo;
using Ezio.Cli;
using Ezio.Commands;
using Ezio.Imaging;
using Ezio.Storage;
using Xunit;

namespace Ezio.Agent.Tests.Commands;

/// <summary>How --layout relocated places the image's partitions on a target's own table, and what it refuses.</summary>
public sealed class RelocatedTargetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ezio-relocated-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Torrent Plain(string name)
    {
        var hashes = new byte[Torrent.PieceHashSize];
        return Torrent.Parse(TorrentBuilder.CreateFromHashes(name, new List<(IReadOnlyList<string>, long)> { (Array.Empty<string>(), 16384) }, 16384, hashes, new TorrentBuildOptions()));
    }

    private static ImageManifest Image(string label = "gpt", params (int Number, long Start, long Size, bool Resizable)[] partitions)
    {
        var manifest = new ImageManifest { Name = "img", LogicalSectorSize = 512, PartitionTable = new PartitionTableInfo { Label = label } };
        foreach (var (number, start, size, resizable) in partitions.Length > 0 ? partitions : [(1, 2048, 16384, false), (2, 18432, 65536, true)])
        {
            manifest.PartitionTable.Partitions.Add(new PartitionInfo { Number = number, Start = start, Size = size, Resizable = resizable, Type = "83" });
        }
        return manifest;
    }

    private static PartitionTable Table(string label = "gpt", int sectorSize = 512, params Partition[] partitions) =>
        new(label, sectorSize, null, partitions.Length > 0 ? partitions : [new Partition(2, 20480, 131072, "83"), new Partition(1, 2048, 16384, "ef")]);

    [Fact]
    public void Map_PartitionsByNumber_EachAtItsNumbersPlaceOnTheTarget()
    {
        var placed = RelocatedTarget.Map(Image(), Table(), "/dev/sdx", writing: false);

        Assert.Equal(
            [new PlacedPartition(1, 2048, 16384, 2048, 16384, true), new PlacedPartition(2, 18432, 65536, 20480, 131072, false)],
            placed);
    }

    [Fact]
    public void Map_TargetPartitionTooSmallForTheData_RelocateRefusesNamingThePartition()
    {
        var placed = RelocatedTarget.Map(Image(), Table(partitions: [new Partition(1, 2048, 16384, "ef"), new Partition(2, 18432, 2048, "83")]), "/dev/sdx", writing: false);
        // 2 MiB of data 1 MiB into partition 2 (source byte 18432 × 512 + 1 MiB): past its 1 MiB on the target.
        var map = new ExtentMap([new Extent(0, (18432 * 512) + (1 << 20), 2 << 20, "x")], 2 << 20);

        var e = Assert.Throws<TargetRefusedException>(() => PartitionLayout.Relocate(map, placed, 512));
        Assert.Contains("Partition 2 holds data up to byte", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_ForWritingBelowTheImagesMinimum_RefusedThoughTheDataFits()
    {
        var image = Image();
        image.PartitionTable.Partitions[1].MinimumBytes = 16 << 20;
        var table = Table(partitions: [new Partition(1, 2048, 16384, "ef"), new Partition(2, 18432, 30720, "83")]);

        Assert.Equal(30720, RelocatedTarget.Map(image, table, "/dev/sdx", writing: false)[1].Size);
        var e = Assert.Throws<UsageException>(() => RelocatedTarget.Map(image, table, "/dev/sdx", writing: true));
        Assert.Equal($"refusing /dev/sdx: its partition 2 has {30720 * 512} bytes but the image's needs at least {16 << 20} (its file system at its smallest); the file system written there would be cut short.", e.Message);
        Assert.Equal(2, RelocatedTarget.Map(image, Table(), "/dev/sdx", writing: true).Count);
    }

    [Fact]
    public void Map_OtherTableType_Refused()
    {
        var e = Assert.Throws<UsageException>(() => RelocatedTarget.Map(Image(), Table("dos"), "/dev/sdx", writing: false));
        Assert.Equal("refusing /dev/sdx: it has a dos partition table but the image's is gpt.", e.Message);
    }

    [Fact]
    public void Map_OtherSectors_Refused()
    {
        var e = Assert.Throws<UsageException>(() => RelocatedTarget.Map(Image(), Table(sectorSize: 4096), "/dev/sdx", writing: false));
        Assert.Contains("4096-byte sectors but the image's counts 512-byte", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_MissingPartition_RefusedNamingIt()
    {
        var e = Assert.Throws<UsageException>(() => RelocatedTarget.Map(Image(), Table(partitions: [new Partition(1, 2048, 16384, "ef")]), "/dev/sdx", writing: false));
        Assert.StartsWith("refusing /dev/sdx: it has no partition 2, where the image's partition 2 (33554432 bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_DosLogicalPartitions_Refused()
    {
        var image = Image("dos", (1, 2048, 16384, false), (2, 18432, 65536, false), (5, 20480, 8192, true));

        var e = Assert.Throws<UsageException>(() => RelocatedTarget.Map(image, Table("dos"), "/dev/sdx", writing: false));
        Assert.Contains("DOS logical partitions", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_ImageOfSeveralDisks_Refused()
    {
        var image = Image();
        image.Disks = [new ImageDisk { Name = "sda" }, new ImageDisk { Name = "sdb" }];

        var e = Assert.Throws<UsageException>(() => RelocatedTarget.Map(image, Table(), "/dev/sdx", writing: false));
        Assert.Contains("holds 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadManifest_ImageDirectoryOfThisTorrent_ItsImageJson()
    {
        var torrent = Plain("img");
        var manifest = Image();
        manifest.InfoHash = torrent.InfoHash.ToString();
        manifest.Save(Path.Combine(_dir, "image.json"));

        Assert.Equal(2, RelocatedTarget.LoadManifest(_dir, torrent).PartitionTable.Partitions.Count);
        Assert.Equal(2, RelocatedTarget.LoadManifest(Path.Combine(_dir, "image.json"), torrent).PartitionTable.Partitions.Count);
    }

    [Fact]
    public void LoadManifest_ImageOfAnotherTorrent_Refused()
    {
        var manifest = Image();
        manifest.InfoHash = Plain("other").InfoHash.ToString();
        manifest.Save(Path.Combine(_dir, "image.json"));

        var e = Assert.Throws<UsageException>(() => RelocatedTarget.LoadManifest(_dir, Plain("img")));
        Assert.Contains("describes the image of torrent " + manifest.InfoHash, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadManifest_NoImageJson_SaysWhereItLooked()
    {
        var e = Assert.Throws<UsageException>(() => RelocatedTarget.LoadManifest(_dir, Plain("img")));
        Assert.Contains(Path.Combine(_dir, "image.json") + " does not exist", e.Message, StringComparison.Ordinal);
    }
}
