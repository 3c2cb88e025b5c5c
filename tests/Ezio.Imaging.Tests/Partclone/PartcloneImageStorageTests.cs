using System.Security.Cryptography;
using Ezio.BitTorrent.Metainfo;
using Ezio.Imaging.Partclone;
using Ezio.Imaging.Tests.TestSupport;
using Xunit;

namespace Ezio.Imaging.Tests.Partclone;

/// <summary>Clonezilla's demo torrent served from uncompressed fixture images of every format.</summary>
public sealed class PartcloneImageStorageTests
{
    [ToolTheory(false, "zstd")]
    [InlineData("fs.ptcl.zst")]        // CRC32, 256 blocks per checksum
    [InlineData("fs-xxh128.ptcl.zst")] // XXH128, 16-byte checksums, 2560 per checksum
    [InlineData("fs-v1.ptcl.zst")]     // format 0001: byte map, a checksum after every block
    public void Read_DemoTorrentFromUncompressedImage_EqualsUsedBytesAndPieceHashes(string file)
    {
        using var temp = new TempDirectory();
        string ptcl = temp.File("fs.ptcl");
        File.WriteAllBytes(ptcl, Fixture.Unzstd("ext4-demo", file));
        var torrent = Torrent.Load(Fixture.Path("btzone", "sda1.torrent"));
        byte[] fs = Fixture.Unzstd("ext4-demo", "fs.img.zst");

        Assert.True(PartcloneImageStorage.IsPartcloneImage(ptcl));
        using var storage = PartcloneImageStorage.Open(ptcl, torrent);
        Assert.Equal(torrent.TotalLength, storage.Length);
        foreach (TorrentFile f in torrent.Files)
        {
            // Odd sizes and offsets cross block, strip and file boundaries.
            long target = Convert.ToInt64(f.PathSegments[^1], 16);
            var data = new byte[f.Length];
            for (long done = 0; done < f.Length;)
            {
                int n = (int)Math.Min(12_345, f.Length - done);
                storage.Read(f.Offset + done, data.AsSpan((int)done, n));
                done += n;
            }
            Assert.True(data.AsSpan().SequenceEqual(fs.AsSpan((int)target, (int)f.Length)), $"file {f.Path}");
        }
        var piece = new byte[torrent.PieceLength];
        for (int i = 0; i < torrent.PieceCount; i++)
        {
            Span<byte> p = piece.AsSpan(0, torrent.GetPieceSize(i));
            storage.Read((long)i * torrent.PieceLength, p);
            Assert.True(SHA1.HashData(p).AsSpan().SequenceEqual(torrent.GetPieceHash(i)), $"piece {i}");
        }
    }

    [ToolFact(false, "zstd")]
    public void Open_TruncatedImage_IsRefused()
    {
        using var temp = new TempDirectory();
        string ptcl = temp.File("fs.ptcl");
        byte[] image = Fixture.Unzstd("ext4-demo", "fs.ptcl.zst");
        File.WriteAllBytes(ptcl, image.AsSpan(0, image.Length - 4096).ToArray());
        var e = Assert.Throws<PartcloneException>(() => PartcloneImageStorage.Open(ptcl, Torrent.Load(Fixture.Path("btzone", "sda1.torrent"))));
        Assert.Equal(PartcloneError.Truncated, e.Reason);
    }

    [Fact]
    public void IsPartcloneImage_CompressedFile_IsFalse()
    {
        Assert.False(PartcloneImageStorage.IsPartcloneImage(Fixture.Path("ext4-demo", "fs.ptcl.zst")));
    }
}
