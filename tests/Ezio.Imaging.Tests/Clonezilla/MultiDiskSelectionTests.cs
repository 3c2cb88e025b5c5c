using Ezio.BitTorrent.Metainfo;
using Ezio.Imaging.Build;
using Ezio.Imaging.Clonezilla;
using Ezio.Imaging.Tests.TestSupport;
using Ezio.Storage;
using Xunit;

namespace Ezio.Imaging.Tests.Clonezilla;

/// <summary>
/// The real `ocs-sr savedisk multi-disk "sda sdb"` output (Fixtures/ocs-sr/multi-disk: sda GPT
/// with sda1 ext4, sdb MBR with sdb1 ext4 and hidden data after the MBR) imports as one image
/// whose one torrent holds both disks, sdb at base 2^56; `--disk` imports one disk alone; a
/// disk the image does not hold is refused naming its disks, and nothing is written.
/// </summary>
public sealed class MultiDiskSelectionTests
{
    private static string Source => Fixture.Path("ocs-sr", "multi-disk");

    [ToolFact(false, "zstd")]
    public void Import_TwoDisks_OneImageOneTorrentWithBothDisks()
    {
        using var temp = new TempDirectory();
        string output = temp.File("repo/both");

        ImageManifest manifest = ClonezillaImporter.Import(Source, output, new ImageBuildOptions { PieceLength = 64 << 10 });

        Assert.NotNull(manifest.Disks);
        Assert.Equal(["sda", "sdb"], manifest.Disks.Select(d => d.Name));
        Assert.Equal([0L, 1L << 56], manifest.Disks.Select(d => d.Base));
        Assert.Equal(["gpt", "dos"], manifest.Disks.Select(d => d.PartitionTable.Label));
        Assert.Equal(["sda1"], manifest.Disks[0].PartitionTable.Partitions.Select(p => p.Device));
        Assert.Equal(["sdb1"], manifest.Disks[1].PartitionTable.Partitions.Select(p => p.Device));
        Assert.All(manifest.Disks.SelectMany(d => d.PartitionTable.Partitions), p => Assert.Equal("partclone", p.Content));
        Assert.Contains(manifest.Disks[1].BootArea, b => b.What == "hidden data after mbr" && b.Offset == 512);
        Assert.Equal(64L << 20, manifest.Disks[1].DiskSize);
        // The top level is the first disk, as a single-disk reader expects.
        Assert.Equal("gpt", manifest.PartitionTable.Label);
        Assert.Equal(manifest.TotalLength, manifest.Disks.Sum(d => d.UsedBytes));

        var torrent = Torrent.Load(Path.Combine(output, manifest.Torrent));
        Assert.Equal(2, MultiDiskLayout.DiskCount(torrent.Files));
        IReadOnlyList<DiskPart> parts = MultiDiskLayout.Split(torrent.Files, torrent.TotalLength);
        Assert.Equal([manifest.Disks[0].UsedBytes, manifest.Disks[1].UsedBytes], parts.Select(p => p.Map.TorrentLength));
        var saved = ImageManifest.Load(Path.Combine(output, EzioImage.ManifestFileName));
        Assert.Equal(2, saved.Disks?.Count);
    }

    [ToolFact(false, "zstd")]
    public void Import_TwoDisksSdbChosen_ImportsSdbAlone()
    {
        using var temp = new TempDirectory();
        string output = temp.File("repo/sdb");

        ImageManifest manifest = ClonezillaImporter.Import(Source, output, new ImageBuildOptions { Disk = "sdb", PieceLength = 64 << 10 });

        Assert.Null(manifest.Disks);
        Assert.Equal("dos", manifest.PartitionTable.Label);
        Assert.Equal(["sdb1"], manifest.PartitionTable.Partitions.Select(p => p.Device));
        Assert.DoesNotContain("sda", manifest.PartitionTable.Sfdisk);
        var torrent = Torrent.Load(Path.Combine(output, manifest.Torrent));
        Assert.Equal(1, MultiDiskLayout.DiskCount(torrent.Files));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Source, "sdb-mbr"))[..446], ReadTorrentBytes(output, 0, 446));
    }

    [Fact]
    public void Import_UnknownDiskChosen_RefusesNamingTheDisksAndWritesNothing()
    {
        using var temp = new TempDirectory();

        var e = Assert.Throws<ImageException>(() =>
            ClonezillaImporter.Import(Source, temp.File("repo/x"), new ImageBuildOptions { Disk = "sdc" }));

        Assert.Contains("no disk sdc", e.Message);
        Assert.Contains("sda sdb", e.Message);
        Assert.False(Directory.Exists(temp.File("repo/x")));
    }

    [Fact]
    public void Open_TwoDisksNoneChosen_RefusesNamingBoth()
    {
        var e = Assert.Throws<ImageException>(() => ClonezillaImage.Open(Source));

        Assert.Equal(ImageError.NotSupported, e.Reason);
        Assert.Contains("2 disks (sda sdb)", e.Message);
    }

    /// <summary>The first torrent bytes, read back from the piece store.</summary>
    private static byte[] ReadTorrentBytes(string imageDir, int offset, int length)
    {
        using var store = Ezio.Imaging.Store.PieceStore.Open(Path.Combine(imageDir, EzioImage.PieceStoreFileName));
        var piece = new byte[store.LengthOf(0)];
        store.ReadPiece(0, piece);
        return piece[offset..(offset + length)];
    }
}
