using Ezio.Imaging.Clonezilla;
using Ezio.Imaging.Partclone;
using Ezio.Imaging.Tests.TestSupport;
using Xunit;

namespace Ezio.Imaging.Tests.Clonezilla;

public sealed class ClonezillaImageTests
{
    [ToolFact(false, "zstd", "pigz")]
    public void Open_DemoImage_FindsSplitZstdGzipAndDdPartitions()
    {
        var image = ClonezillaImage.Open(Fixture.Path("demo-img"));
        Assert.Equal("sda", image.Disk);
        Assert.Equal(["sda1", "sdb1", "sdc1"], image.Partitions.Select(p => p.Name));
        Assert.Equal(4, image.Partitions[0].Files.Count);
        Assert.EndsWith(".zst.ad", image.Partitions[0].Files[3]);
        Assert.Equal(PartitionContent.Partclone, image.Partitions[1].Content);
        Assert.Equal(PartitionContent.Raw, image.Partitions[2].Content);

        byte[] fs = Fixture.Unzstd("ext4-demo", "fs.img.zst");
        foreach (ClonezillaPartition partition in image.Partitions.Take(2))
        {
            using var reader = PartcloneReader.Open(partition.OpenStream());
            Assert.Equal(4881, reader.Map.UsedBlocks);
            var buffer = new byte[1 << 20];
            int n;
            while ((n = reader.ReadRun(buffer, out long first)) > 0)
            {
                Assert.True(buffer.AsSpan(0, n * 4096).SequenceEqual(fs.AsSpan((int)first * 4096, n * 4096)));
            }
        }
        using (var raw = new RawBlockSource(image.Partitions[2].OpenStream(), fs.Length))
        {
            var all = new byte[fs.Length];
            int done = 0;
            int n;
            while ((n = raw.ReadRun(all.AsSpan(done), out _)) > 0)
            {
                done += n * raw.BlockSize;
            }
            Assert.Equal(fs.Length, done);
            Assert.True(all.AsSpan().SequenceEqual(fs));
        }
    }

    [Fact]
    public void Open_NtfscloneImage_IsNotSupportedNamingTheFile()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("disk"), "sda\n");
        File.WriteAllText(temp.File("parts"), "sda1\n");
        File.WriteAllBytes(temp.File("sda1.ntfs-img.aa"), new byte[10]);
        var e = Assert.Throws<ImageException>(() => ClonezillaImage.Open(temp.Path));
        Assert.Equal(ImageError.NotSupported, e.Reason);
        Assert.Contains("sda1.ntfs-img.aa", e.Message);
    }

    [ToolFact(false, "zstd")]
    public void OpenStream_CorruptCompressedChunk_ReportsToolFailure()
    {
        using var temp = new TempDirectory();
        byte[] chunk = File.ReadAllBytes(Fixture.Path("demo-img", "sda1.ext4-ptcl-img.zst.aa"));
        chunk[5000] ^= 0xff;
        File.WriteAllBytes(temp.File("x.zst"), chunk);
        var e = Assert.ThrowsAny<IOException>(() =>
        {
            using Stream s = ImageStreams.OpenDecompressed([temp.File("x.zst")]);
            s.CopyTo(Stream.Null);
        });
        Assert.Contains("zstd", e.Message);
    }

    [Fact]
    public void SfdiskDump_GptDump_ParsesPartitions()
    {
        var dump = SfdiskDump.Parse("""
            label: gpt
            label-id: 3E2B9E8C-6A0A-4C5E-9E5B-1B0C54A9E3F1
            device: /dev/loop0
            unit: sectors
            first-lba: 2048
            last-lba: 262110
            sector-size: 512

            /dev/loop0p1 : start=        2048, size=       65536, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=1D3B2E0C-0000-4000-8000-000000000001
            /dev/loop0p2 : start=       67584, size=      131072, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=1D3B2E0C-0000-4000-8000-000000000002, name="data"
            """);
        Assert.Equal("gpt", dump.Label);
        Assert.Equal(2, dump.Partitions.Count);
        Assert.Equal(new SfdiskPartition("/dev/loop0p2", 2, 67584, 131072, "0FC63DAF-8483-4772-8E79-3D69D8477DE4"), dump.Partitions[1]);
        Assert.Equal((262110L + 34) * 512, dump.MinimumDiskSize);
    }
}
