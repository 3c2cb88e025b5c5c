using Ezio.Agent.Modes;
using Ezio.BitTorrent.Metainfo;
using Ezio.Storage;
using Xunit;

namespace Ezio.Agent.Tests.Modes;

/// <summary>The torrent against the job's imageSizeBytes: plain images match it, whole-disk images fit in it.</summary>
public sealed class TorrentSizeCheckTests
{
    private const int Piece = 16 * 1024;

    private static Torrent Build(params (long Offset, long Length)[] extents)
    {
        var files = extents.Select(e => ((IReadOnlyList<string>)[OffsetLayout.FormatName(e.Offset)], e.Length)).ToList();
        var total = extents.Sum(e => e.Length);
        var hashes = new byte[(total + Piece - 1) / Piece * Torrent.PieceHashSize];
        return Torrent.Parse(TorrentBuilder.CreateFromHashes("disk", files, Piece, hashes, new TorrentBuildOptions()));
    }

    private static Torrent Plain(long length)
    {
        var hashes = new byte[(length + Piece - 1) / Piece * Torrent.PieceHashSize];
        return Torrent.Parse(TorrentBuilder.CreateFromHashes("image", new List<(IReadOnlyList<string>, long)> { (Array.Empty<string>(), length) }, Piece, hashes, new TorrentBuildOptions()));
    }

    [Fact]
    public void WholeDiskImage_UsedExtentsInsideTheDisk_Accepted()
    {
        // A captured disk: boot code, then two partitions' used blocks, far less than the disk.
        var torrent = Build((0, 446), (1 << 20, 64 * Piece), (64 << 20, 32 * Piece));

        Assert.Null(CheckingMode.MismatchWithImageSize(torrent, 256L << 20));
    }

    [Fact]
    public void WholeDiskImage_ExtentPastTheImageSize_Refused()
    {
        var torrent = Build((0, 446), (300L << 20, 64 * Piece));

        Assert.Contains("past the job's image size", CheckingMode.MismatchWithImageSize(torrent, 256L << 20));
    }

    [Fact]
    public void PlainImage_LengthMustMatch()
    {
        Assert.Null(CheckingMode.MismatchWithImageSize(Plain(40 * Piece), 40 * Piece));
        Assert.Contains("the torrent holds", CheckingMode.MismatchWithImageSize(Plain(40 * Piece), 41 * Piece));
    }
}
