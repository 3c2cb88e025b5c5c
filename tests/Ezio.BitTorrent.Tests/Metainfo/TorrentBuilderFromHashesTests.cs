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
    public void CreateFromHashes_WrongHashCountOrPieceLength_Throws()
    {
        IReadOnlyList<(IReadOnlyList<string>, long)> files = [(["a"], 40000)];
        Assert.Throws<ArgumentException>(() => TorrentBuilder.CreateFromHashes("n", files, 16384, new byte[40], new TorrentBuildOptions()));
        Assert.Throws<ArgumentException>(() => TorrentBuilder.CreateFromHashes("n", files, 10000, new byte[80], new TorrentBuildOptions()));
    }
}
