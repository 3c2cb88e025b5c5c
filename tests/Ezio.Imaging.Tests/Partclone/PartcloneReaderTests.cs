using Ezio.Imaging.Partclone;
using Ezio.Imaging.Tests.TestSupport;
using Xunit;

namespace Ezio.Imaging.Tests.Partclone;

public sealed class PartcloneReaderTests
{
    private static readonly Lazy<byte[]> s_fsImage = new(() => Fixture.Unzstd("ext4-demo", "fs.img.zst"));

    // fs.ptcl.extents.txt: blocks 0-4851, 4853-4862, 4865-4883 (4 KiB).
    private static readonly (long First, long Count)[] s_extents = [(0, 4852), (4853, 10), (4865, 19)];

    [ToolTheory(false, "zstd")]
    [InlineData("fs.ptcl.zst", PartcloneChecksumMode.Crc32, 2)]
    [InlineData("fs-xxh128.ptcl.zst", PartcloneChecksumMode.XxHash128, 2)]
    [InlineData("fs-v1.ptcl.zst", PartcloneChecksumMode.Crc32Version1, 1)]
    public void ReadRun_FixtureImage_YieldsExactlyTheUsedBlocksOfFsImg(string file, PartcloneChecksumMode mode, int version)
    {
        byte[] image = Fixture.Unzstd("ext4-demo", file);
        byte[] fs = s_fsImage.Value;
        using var reader = PartcloneReader.Open(new MemoryStream(image));

        Assert.Equal(version, reader.Header.FormatVersion);
        Assert.Equal(mode, reader.Header.ChecksumMode);
        Assert.Equal(4096, reader.BlockSize);
        Assert.Equal(16384, reader.Header.TotalBlocks);
        Assert.Equal(4881, reader.Header.UsedBlocks);
        Assert.Equal(image.LongLength, reader.Header.ExpectedStreamLength);
        Assert.Equal(s_extents, reader.Map.UsedRuns().ToArray());

        var buffer = new byte[64 * 4096];
        var seen = new List<(long, long)>();
        int n;
        while ((n = reader.ReadRun(buffer, out long first)) > 0)
        {
            Assert.True(buffer.AsSpan(0, n * 4096).SequenceEqual(fs.AsSpan((int)(first * 4096), n * 4096)), $"blocks {first}+{n} differ");
            if (seen.Count > 0 && seen[^1].Item1 + seen[^1].Item2 == first)
            {
                seen[^1] = (seen[^1].Item1, seen[^1].Item2 + n);
            }
            else
            {
                seen.Add((first, n));
            }
        }
        Assert.Equal(s_extents, seen.ToArray());
    }

    [ToolTheory(false, "zstd")]
    [InlineData("fs.ptcl.zst")]
    [InlineData("fs-xxh128.ptcl.zst")]
    [InlineData("fs-v1.ptcl.zst")]
    public void ReadRun_FlippedDataByte_ReportsTheStripWithItsBlock(string file)
    {
        byte[] image = Fixture.Unzstd("ext4-demo", file);
        var header = PartcloneReader.Open(new MemoryStream(image)).Header;
        long dataStart = image.LongLength - header.UsedBlocks * header.BlockSize
            - (header.UsedBlocks + header.BlocksPerChecksum - 1) / header.BlocksPerChecksum * header.ChecksumSize;
        // Stored block 3000 (block 3000 on disk: the first extent starts at 0 and is longer).
        long strips = 3000 / header.BlocksPerChecksum;
        long at = dataStart + 3000L * header.BlockSize + strips * header.ChecksumSize; // byte 0: format 0001 only checks each block's first byte
        image[at] ^= 0x40;

        using var reader = PartcloneReader.Open(new MemoryStream(image));
        var e = Assert.Throws<PartcloneException>(() => Drain(reader));
        Assert.Equal(PartcloneError.DataChecksumMismatch, e.Reason);
        long stripFirst = 3000 / header.BlocksPerChecksum * header.BlocksPerChecksum;
        Assert.Equal(stripFirst, e.Block);
    }

    [ToolFact(false, "zstd")]
    public void Open_FlippedHeaderByte_ReportsHeaderChecksum()
    {
        byte[] image = Fixture.Unzstd("ext4-demo", "fs.ptcl.zst");
        image[60] ^= 0x01;
        var e = Assert.Throws<PartcloneException>(() => PartcloneReader.Open(new MemoryStream(image)));
        Assert.Equal(PartcloneError.HeaderChecksumMismatch, e.Reason);
    }

    [ToolFact(false, "zstd")]
    public void Open_FlippedMapByte_ReportsMapChecksum()
    {
        byte[] image = Fixture.Unzstd("ext4-demo", "fs.ptcl.zst");
        image[PartcloneHeader.Version2Length + 700] ^= 0x04;
        var e = Assert.Throws<PartcloneException>(() => PartcloneReader.Open(new MemoryStream(image)));
        Assert.Equal(PartcloneError.MapChecksumMismatch, e.Reason);
    }

    [ToolFact(false, "zstd")]
    public void Open_FlippedByteMapMagic_ReportsInvalidMap()
    {
        byte[] image = Fixture.Unzstd("ext4-demo", "fs-v1.ptcl.zst");
        image[PartcloneHeader.Version1Length + 16384 + 2] ^= 0x20;
        var e = Assert.Throws<PartcloneException>(() => PartcloneReader.Open(new MemoryStream(image)));
        Assert.Equal(PartcloneError.InvalidMap, e.Reason);
    }

    [ToolFact(false, "zstd")]
    public void ReadRun_TruncatedImage_ReportsTruncatedWithBlock()
    {
        byte[] image = Fixture.Unzstd("ext4-demo", "fs.ptcl.zst");
        using var reader = PartcloneReader.Open(new MemoryStream(image, 0, image.Length - 10000));
        var e = Assert.Throws<PartcloneException>(() => Drain(reader));
        Assert.Equal(PartcloneError.Truncated, e.Reason);
        Assert.NotNull(e.Block);
    }

    [ToolFact(false, "zstd")]
    public void ReadRun_TrailingBytes_ReportsTrailingData()
    {
        byte[] image = [.. Fixture.Unzstd("ext4-demo", "fs.ptcl.zst"), 0];
        using var reader = PartcloneReader.Open(new MemoryStream(image));
        var e = Assert.Throws<PartcloneException>(() => Drain(reader));
        Assert.Equal(PartcloneError.TrailingData, e.Reason);
    }

    [Theory]
    [InlineData("fs-nocsum.ptcl.head.bin", PartcloneChecksumMode.None, 0, true)]
    [InlineData("fs-k7-noreseed.ptcl.head.bin", PartcloneChecksumMode.Crc32, 7, false)]
    [InlineData("fs-xxh64.ptcl.head.bin", PartcloneChecksumMode.XxHash64, 256, true)]
    [InlineData("fs-z10M.ptcl.head.bin", PartcloneChecksumMode.Crc32, 2560, true)]
    [InlineData("fs-xxh128.ptcl.head.bin", PartcloneChecksumMode.XxHash128, 2560, true)]
    public void Open_HeaderVariants_DecodeAndCheckTheMap(string file, PartcloneChecksumMode mode, int bpc, bool reseed)
    {
        byte[] head = File.ReadAllBytes(Fixture.Path("ext4-demo", file));
        using var reader = PartcloneReader.Open(new MemoryStream(head));
        Assert.Equal(mode, reader.Header.ChecksumMode);
        Assert.Equal(reseed, reader.Header.Reseed);
        Assert.Equal(4881, reader.Map.UsedBlocks);
        if (mode != PartcloneChecksumMode.None)
        {
            Assert.Equal(bpc, reader.Header.BlocksPerChecksum);
        }
        var e = Assert.Throws<PartcloneException>(() => Drain(reader));
        Assert.Equal(PartcloneError.Truncated, e.Reason);
        Assert.Equal(0, e.Block);
    }

    [Fact]
    public void Open_NotAnImage_ReportsBadMagic()
    {
        var e = Assert.Throws<PartcloneException>(() => PartcloneReader.Open(new MemoryStream(new byte[200])));
        Assert.Equal(PartcloneError.BadMagic, e.Reason);
    }

    internal static void Drain(IUsedBlockSource reader)
    {
        var buffer = new byte[1 << 20];
        while (reader.ReadRun(buffer, out _) > 0)
        {
        }
    }
}
