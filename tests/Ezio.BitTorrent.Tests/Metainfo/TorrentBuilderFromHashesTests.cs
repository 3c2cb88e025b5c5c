using System.Security.Cryptography;
using Ezio.BitTorrent.Metainfo;
using Xunit;

namespace Ezio.BitTorrent.Tests.Metainfo;

public sealed class TorrentBuilderFromHashesTests
{
    private static readonly DateTimeOffset s_when = DateTimeOffset.FromUnixTimeSeconds(1_750_000_000);

    [Fact]
    public void CreateFromHashes_SameDataAsCreate_IsByteIdentical()
    {
        byte[] content = RandomNumberGenerator.GetBytes(3 * 16384 + 100);
        IReadOnlyList<(IReadOnlyList<string>, long)> files = [(["00000000000000000000000000000000"], 20000), (["00000000000000000000000000100000"], content.Length - 20000)];
        var options = new TorrentBuildOptions { CreationDate = s_when };
        byte[] hashed = TorrentBuilder.Create("disk", files, (o, d) => content.AsSpan((int)o, d.Length).CopyTo(d),
            new TorrentBuildOptions { CreationDate = s_when, PieceLength = 16384 });
        var hashes = new byte[4 * 20];
        for (int i = 0; i < 4; i++)
        {
            SHA1.HashData(content.AsSpan(i * 16384, Math.Min(16384, content.Length - i * 16384)), hashes.AsSpan(i * 20, 20));
        }

        byte[] built = TorrentBuilder.CreateFromHashes("disk", files, 16384, hashes, options);

        Assert.Equal(hashed, built);
    }

    [Fact]
    public void LogicalSectorSize_RoundTripsOutsideTheInfoDictionary()
    {
        IReadOnlyList<(IReadOnlyList<string>, long)> files = [(["00000000000000000000000000000000"], 20000)];
        var plain = Torrent.Parse(TorrentBuilder.CreateFromHashes("disk", files, 16384, new byte[40], new TorrentBuildOptions { CreationDate = s_when }));
        var marked = Torrent.Parse(TorrentBuilder.CreateFromHashes("disk", files, 16384, new byte[40],
            new TorrentBuildOptions { CreationDate = s_when, LogicalSectorSize = 4096 }));

        Assert.Null(plain.LogicalSectorSize);
        Assert.Equal(4096, marked.LogicalSectorSize);
        Assert.Equal(plain.InfoHash, marked.InfoHash);
    }

    [Theory]
    [InlineData("i512e", 512)]
    [InlineData("i4096e", 4096)]
    [InlineData("i1000e", null)]
    [InlineData("i-512e", null)]
    [InlineData("i131072e", null)]
    public void LogicalSectorSize_NonsenseDroppedNotFatal(string value, int? expected)
    {
        byte[] built = TorrentBuilder.CreateFromHashes("disk", [(["a"], 100)], 16384, new byte[20], new TorrentBuildOptions { CreationDate = s_when });
        int at = built.AsSpan().IndexOf("4:infod"u8);
        byte[] edited = [.. built.AsSpan(0, at), .. System.Text.Encoding.ASCII.GetBytes("24:ezio logical sector size" + value), .. built.AsSpan(at)];
        Assert.Equal(expected, Torrent.Parse(edited).LogicalSectorSize);
    }

    [Fact]
    public void CreateFromHashes_WrongHashCountOrPieceLength_Throws()
    {
        IReadOnlyList<(IReadOnlyList<string>, long)> files = [(["a"], 40000)];
        Assert.Throws<ArgumentException>(() => TorrentBuilder.CreateFromHashes("n", files, 16384, new byte[40], new TorrentBuildOptions()));
        Assert.Throws<ArgumentException>(() => TorrentBuilder.CreateFromHashes("n", files, 10000, new byte[80], new TorrentBuildOptions()));
    }
}
