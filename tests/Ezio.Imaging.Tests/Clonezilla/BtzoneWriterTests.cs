using Ezio.BitTorrent.Metainfo;
using Ezio.Imaging.Build;
using Ezio.Imaging.Clonezilla;
using Ezio.Imaging.Partclone;
using Ezio.Imaging.Tests.TestSupport;
using Xunit;

namespace Ezio.Imaging.Tests.Clonezilla;

/// <summary>Our slices against the listings and torrent.info that partclone 0.3.23 wrote for ext4-demo.</summary>
public sealed class BtzoneWriterTests
{
    [ToolTheory(false, "zstd")]
    [InlineData(1 << 20, "bt-restore-1M")]
    [InlineData(40960, "bt-restore-z40K")]
    public void Complete_DemoImageRestoreCuts_MatchPartclonesListingAndTorrentInfo(int sliceBytes, string variant)
    {
        using var temp = new TempDirectory();
        using (var reader = PartcloneReader.Open(ImageStreams.OpenDecompressed([Fixture.Path("ext4-demo", "fs.ptcl.zst")])))
        {
            Btzone.Write(reader, temp.Path, "sda1", reader.BlockSize, reader.Header.TotalBlocks, sliceBytes);
        }
        string[] expected = File.ReadAllLines(Fixture.Path("btzone", variant + ".listing.txt"))
            .Where(l => !l.EndsWith(" torrent.info", StringComparison.Ordinal)).ToArray();
        Assert.Equal(expected, Btzone.Listing(temp.File("sda1")));
        Assert.Equal(File.ReadAllText(Fixture.Path("btzone", variant + ".torrent.info")), File.ReadAllText(temp.File("sda1.torrent.info")));
    }

    [ToolFact(false, "zstd")]
    public void Complete_RawPartition_CutsLikePartcloneDd()
    {
        using var temp = new TempDirectory();
        byte[] fs = Fixture.Unzstd("ext4-demo", "fs.img.zst");
        using (var raw = RawBlockSource.FromBytes(fs))
        {
            Btzone.Write(raw, temp.Path, "sdc1", 512, fs.Length / 512);
        }
        string[] expected = File.ReadAllLines(Fixture.Path("btzone", "bt-dd-from-file.listing.txt"))
            .Where(l => !l.EndsWith(" torrent.info", StringComparison.Ordinal)).ToArray();
        Assert.Equal(expected, Btzone.Listing(temp.File("sdc1")));
        Assert.Equal(File.ReadAllText(Fixture.Path("btzone", "bt-dd-from-file.torrent.info")), File.ReadAllText(temp.File("sdc1.torrent.info")));
    }

    [ToolFact(false, "zstd")]
    public void Import_DemoImageWithBtzone_EqualsClonezillasBtzoneAndTorrent()
    {
        using var temp = new TempDirectory();
        string cz = temp.File("demo-img");
        Directory.CreateDirectory(cz);
        foreach (string f in Directory.GetFiles(Fixture.Path("demo-img"), "sda1.*").Append(Fixture.Path("demo-img", "Info-img-id.txt")))
        {
            File.Copy(f, Path.Combine(cz, Path.GetFileName(f)));
        }
        File.WriteAllText(Path.Combine(cz, "disk"), "sda\n");
        File.WriteAllText(Path.Combine(cz, "parts"), "sda1\n");
        File.WriteAllText(Path.Combine(cz, "sda-pt.sf"),
            "label: dos\nlabel-id: 0x1234abcd\ndevice: /dev/sda\nunit: sectors\nsector-size: 512\n\n/dev/sda1 : start=2048, size=131072, type=83\n");

        ClonezillaImporter.Import(cz, temp.File("repo/demo"), new ImageBuildOptions { PieceLength = 1 << 20, BtzoneDirectory = temp.File("btzone") });

        string btzone = temp.File("btzone/demo-img");
        Assert.True(File.Exists(Path.Combine(btzone, "Info-img-id.txt")));
        Assert.Equal(File.ReadAllText(Fixture.Path("btzone", "sda1.torrent.info")), File.ReadAllText(Path.Combine(btzone, "sda1.torrent.info")));
        var ours = Torrent.Load(Path.Combine(btzone, "sda1.torrent"));
        var clonezilla = Torrent.Load(Fixture.Path("btzone", "sda1.torrent"));
        Assert.Equal("c3a69d5d437eed6f4d2fc4d3902ad1320babf79a", clonezilla.InfoHash.ToString());
        Assert.Equal(clonezilla.InfoHash, ours.InfoHash);
        byte[] fs = Fixture.Unzstd("ext4-demo", "fs.img.zst");
        foreach (TorrentFile f in ours.Files)
        {
            long offset = Convert.ToInt64(f.PathSegments[^1], 16);
            byte[] slice = File.ReadAllBytes(Path.Combine(btzone, "sda1", f.PathSegments[^1]));
            Assert.True(slice.AsSpan().SequenceEqual(fs.AsSpan((int)offset, (int)f.Length)), $"slice {f.Path}");
        }
    }
}
