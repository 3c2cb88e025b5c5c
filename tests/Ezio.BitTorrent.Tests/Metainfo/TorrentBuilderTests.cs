using System.Security.Cryptography;
using System.Text;
using Ezio.BitTorrent.Bencoding;
using Ezio.BitTorrent.Metainfo;
using Xunit;

namespace Ezio.BitTorrent.Tests.Metainfo;

public sealed class TorrentBuilderTests : IDisposable
{
    private static readonly DateTimeOffset _when = DateTimeOffset.FromUnixTimeSeconds(1_750_000_000);
    private readonly string _root = Directory.CreateTempSubdirectory("ezio-builder-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Piece hashes computed the obvious way, independent of the builder's batching.</summary>
    private static byte[] ExpectedPieces(byte[] content, int pieceLength)
    {
        var hashes = new List<byte>();
        for (int offset = 0; offset < content.Length; offset += pieceLength)
        {
            hashes.AddRange(SHA1.HashData(content.AsSpan(offset, Math.Min(pieceLength, content.Length - offset))));
        }
        return hashes.ToArray();
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public void Create_SingleFile_ParsesBackWithCorrectHashes()
    {
        byte[] content = RandomBytes(100_000, 1);
        string path = Path.Combine(_root, "image.bin");
        File.WriteAllBytes(path, content);
        var options = new TorrentBuildOptions
        {
            PieceLength = 16384,
            Announce = ["http://a/announce"],
            Comment = "note",
            IsPrivate = true,
            CreationDate = _when,
        };

        var torrent = Torrent.Parse(TorrentBuilder.Create(path, options));

        Assert.False(torrent.IsMultiFile);
        Assert.Equal("image.bin", torrent.Name);
        Assert.Equal(content.Length, torrent.TotalLength);
        Assert.Equal(16384, torrent.PieceLength);
        Assert.Equal(7, torrent.PieceCount);
        Assert.Equal(ExpectedPieces(content, 16384), torrent.PieceHashes.ToArray());
        Assert.True(torrent.IsPrivate);
        Assert.Equal("http://a/announce", torrent.Announce);
        Assert.Equal("note", torrent.Comment);
        Assert.Equal("Ezio", torrent.CreatedBy);
        Assert.Equal(_when, torrent.CreationDate);
    }

    [Fact]
    public void Create_WithBlockRoots_EachRootIsTheHashOfItsPiecesBlockList()
    {
        byte[] content = RandomBytes(100_000, 11);
        string path = Path.Combine(_root, "roots.bin");
        File.WriteAllBytes(path, content);

        var plain = Torrent.Parse(TorrentBuilder.Create(path, new TorrentBuildOptions { PieceLength = 32768, CreationDate = _when }));
        var torrent = Torrent.Parse(TorrentBuilder.Create(path, new TorrentBuildOptions { PieceLength = 32768, CreationDate = _when, WithBlockRoots = true }));

        Assert.False(plain.HasBlockRoots);
        Assert.Equal(4 * BlockHashes.HashSize, torrent.BlockRoots.Length);
        // In the info dictionary: another info-hash, the same pieces.
        Assert.NotEqual(plain.InfoHash, torrent.InfoHash);
        Assert.Equal(plain.PieceHashes.ToArray(), torrent.PieceHashes.ToArray());
        for (int i = 0; i < torrent.PieceCount; i++)
        {
            var piece = content.AsSpan(i * 32768, torrent.GetPieceSize(i));
            var list = new byte[BlockHashes.ListLength(piece.Length)];
            for (int b = 0; b * BlockHashes.BlockSize < piece.Length; b++)
            {
                int start = b * BlockHashes.BlockSize;
                System.Security.Cryptography.SHA256.HashData(piece.Slice(start, Math.Min(BlockHashes.BlockSize, piece.Length - start)), list.AsSpan(b * 32, 32));
            }
            Assert.True(torrent.VerifyBlockList(i, list));
            list[^1] ^= 1;
            Assert.False(torrent.VerifyBlockList(i, list));
            Assert.False(plain.VerifyBlockList(i, list));
        }
    }

    [Fact]
    public void Create_Directory_FilesSortedOrdinallyAndHashedAcrossBoundaries()
    {
        Directory.CreateDirectory(Path.Combine(_root, "data", "sub"));
        var contents = new Dictionary<string, byte[]>
        {
            ["b.bin"] = RandomBytes(30_000, 2),
            ["a.bin"] = RandomBytes(5_000, 3),
            ["sub/z"] = RandomBytes(70_001, 4),
            ["empty"] = [],
            [".hidden"] = RandomBytes(10, 5),
            ["B-upper"] = RandomBytes(17, 6),
        };
        foreach ((string relative, byte[] bytes) in contents)
        {
            File.WriteAllBytes(Path.Combine(_root, "data", relative), bytes);
        }

        var torrent = Torrent.Parse(TorrentBuilder.Create(Path.Combine(_root, "data") + "/",
            new TorrentBuildOptions { PieceLength = 16384, CreationDate = _when }));

        string[] expectedOrder = contents.Keys.Order(StringComparer.Ordinal).ToArray();
        Assert.True(torrent.IsMultiFile);
        Assert.Equal("data", torrent.Name);
        Assert.Equal(expectedOrder, torrent.Files.Select(f => f.Path));
        byte[] concatenated = expectedOrder.SelectMany(p => contents[p]).ToArray();
        Assert.Equal(ExpectedPieces(concatenated, 16384), torrent.PieceHashes.ToArray());
    }

    [Fact]
    public void Create_FromCallbackManyBatches_MatchesIndependentHashes()
    {
        // 70 MiB in 16 KiB pieces spans two read batches, so the double buffer is exercised.
        byte[] content = RandomBytes(70 * 1024 * 1024 + 123, 7);
        var files = new List<(IReadOnlyList<string>, long)> { (["part", "one"], 1000), (["part", "two"], content.Length - 1000) };
        long lastOffset = -1;
        void Read(long offset, Span<byte> destination)
        {
            Assert.True(offset > lastOffset);
            lastOffset = offset;
            content.AsSpan((int)offset, destination.Length).CopyTo(destination);
        }

        byte[] bytes = TorrentBuilder.Create("disk", files, Read,
            new TorrentBuildOptions { PieceLength = 16384, CreationDate = _when });
        var torrent = Torrent.Parse(bytes);

        Assert.Equal(ExpectedPieces(content, 16384), torrent.PieceHashes.ToArray());
        Assert.Equal(["part/one", "part/two"], torrent.Files.Select(f => f.Path));
    }

    [Fact]
    public void Create_CallbackWithEmptyPath_IsSingleFile()
    {
        byte[] content = RandomBytes(1000, 8);
        byte[] bytes = TorrentBuilder.Create("raw.img", [([], content.Length)],
            (offset, destination) => content.AsSpan((int)offset, destination.Length).CopyTo(destination),
            new TorrentBuildOptions { CreationDate = _when });
        var torrent = Torrent.Parse(bytes);
        Assert.False(torrent.IsMultiFile);
        Assert.Equal("raw.img", torrent.Files[0].Path);
        Assert.Equal(TorrentBuilder.MinPieceLength, torrent.PieceLength);
    }

    [Fact]
    public void Create_Output_IsCanonicalWithSortedKeys()
    {
        byte[] bytes = TorrentBuilder.Create("n", [(["f"], 3)], (_, d) => d.Fill(1),
            new TorrentBuildOptions { Announce = ["u1", "u2"], Comment = "c", CreationDate = _when, IsPrivate = true });
        string pieces = Encoding.Latin1.GetString(SHA1.HashData(new byte[] { 1, 1, 1 }));
        string expected = "d8:announce2:u113:announce-listll2:u1el2:u2ee7:comment1:c10:created by4:Ezio" +
            "13:creation datei1750000000e4:infod5:filesld6:lengthi3e4:pathl1:feee4:name1:n" +
            $"12:piece lengthi16384e6:pieces20:{pieces}7:privatei1eee";
        Assert.Equal(expected, Encoding.Latin1.GetString(bytes));
    }

    [Theory]
    [InlineData(0L, 16384)]
    [InlineData(32L * 1024 * 1024, 16384)]
    [InlineData(64L * 1024 * 1024, 32768)]
    [InlineData(1L << 30, 512 * 1024)]
    [InlineData(1L << 40, 16 * 1024 * 1024)]
    public void ChoosePieceLength_Total_SmallestPowerOfTwoWithin2048Pieces(long total, int expected)
    {
        Assert.Equal(expected, TorrentBuilder.ChoosePieceLength(total));
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(8192)]
    [InlineData(16385)]
    [InlineData(-16384)]
    [InlineData(512 * 1024 * 1024)]
    public void Create_BadPieceLength_ThrowsArgumentException(int pieceLength)
    {
        Assert.Throws<ArgumentException>(() => TorrentBuilder.Create("n", [(["f"], 3)], (_, d) => d.Clear(),
            new TorrentBuildOptions { PieceLength = pieceLength }));
    }

    [Theory]
    [InlineData("..")]
    [InlineData("")]
    [InlineData("a/b")]
    public void Create_UnsafeSegment_ThrowsArgumentException(string segment)
    {
        Assert.Throws<ArgumentException>(() => TorrentBuilder.Create("n", [(["ok", segment], 3)], (_, d) => d.Clear(),
            new TorrentBuildOptions()));
    }

    [Fact]
    public void Create_NoBytes_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => TorrentBuilder.Create("n", [(["f"], 0)], (_, d) => d.Clear(),
            new TorrentBuildOptions()));
    }

    [Fact]
    public void Create_MissingPath_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => TorrentBuilder.Create(Path.Combine(_root, "nope"), new TorrentBuildOptions()));
    }

    [Fact]
    public void Create_Cancelled_ThrowsOperationCanceled()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => TorrentBuilder.Create("n", [(["f"], 3)], (_, d) => d.Clear(),
            new TorrentBuildOptions(), cancellation.Token));
    }

    [Fact]
    public void Create_WithoutCreationDate_WritesNow()
    {
        byte[] bytes = TorrentBuilder.Create("n", [(["f"], 3)], (_, d) => d.Clear(), new TorrentBuildOptions());
        DateTimeOffset? created = Torrent.Parse(bytes).CreationDate;
        Assert.NotNull(created);
        Assert.InRange(created.Value, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.Equal(bytes.Length, new BencodeReader(bytes).SkipValue().Length);
    }
}
