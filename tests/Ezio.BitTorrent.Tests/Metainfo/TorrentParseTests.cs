using System.Security.Cryptography;
using System.Text;
using Ezio.BitTorrent.Metainfo;
using Xunit;
using static Ezio.BitTorrent.Tests.Metainfo.TorrentText;

namespace Ezio.BitTorrent.Tests.Metainfo;

public sealed class TorrentParseTests
{
    [Fact]
    public void Parse_SingleFile_ReadsAllFields()
    {
        byte[] data = B("d8:announce13:http://t/anno7:comment2:hi10:created by4:test13:creation datei1700000000e" +
            "4:info" + SingleInfo + "e");
        var torrent = Torrent.Parse(data);

        Assert.Equal("a.txt", torrent.Name);
        Assert.False(torrent.IsMultiFile);
        Assert.False(torrent.IsPrivate);
        Assert.Equal(100, torrent.TotalLength);
        Assert.Equal(64, torrent.PieceLength);
        Assert.Equal(2, torrent.PieceCount);
        Assert.Equal(36, torrent.GetPieceSize(1));
        TorrentFile file = Assert.Single(torrent.Files);
        Assert.Equal("a.txt", file.Path);
        Assert.Equal(["a.txt"], file.PathSegments);
        Assert.Equal(0, file.Offset);
        Assert.Equal("http://t/anno", torrent.Announce);
        Assert.Equal([["http://t/anno"]], torrent.AnnounceList);
        Assert.Equal("hi", torrent.Comment);
        Assert.Equal("test", torrent.CreatedBy);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), torrent.CreationDate);
        Assert.Equal(SingleInfo, Encoding.Latin1.GetString(torrent.InfoBytes.Span));
        Assert.Equal(Convert.ToHexStringLower(SHA1.HashData(B(SingleInfo))), torrent.InfoHash.ToString());
    }

    [Fact]
    public void Parse_MultiFile_OffsetsAreCumulativeAndPathsExcludeName()
    {
        string info = MultiInfo(File(10, "a") + File(0, "empty") + File(200, "sub", "b.bin"), pieceCount: 4);
        var torrent = Torrent.Parse(Wrap(info));

        Assert.True(torrent.IsMultiFile);
        Assert.Equal("dir", torrent.Name);
        Assert.Equal(210, torrent.TotalLength);
        Assert.Equal(["a", "empty", "sub/b.bin"], torrent.Files.Select(f => f.Path));
        Assert.Equal([0L, 10L, 10L], torrent.Files.Select(f => f.Offset));
        Assert.Equal(["sub", "b.bin"], torrent.Files[2].PathSegments);
        Assert.Equal(18, torrent.GetPieceSize(3));
    }

    [Fact]
    public void Parse_UnknownKeyInsideInfo_KeptInInfoBytesAndHash()
    {
        string info = MultiInfo(File(100, "a"), pieceCount: 2, extra: "6:sourcei7e");
        var torrent = Torrent.Parse(Wrap(info));
        Assert.Equal(info, Encoding.Latin1.GetString(torrent.InfoBytes.Span));
        Assert.Equal(new InfoHash(SHA1.HashData(B(info))), torrent.InfoHash);
    }

    [Fact]
    public void Parse_UnsortedInfoKeys_HashesOriginalOrder()
    {
        // Valid bencoding, but not canonical: re-encoding would sort the keys and change the hash.
        string info = "d4:name5:a.txt6:lengthi100e6:pieces40:" + new string('h', 40) + "12:piece lengthi64ee";
        var torrent = Torrent.Parse(Wrap(info));
        Assert.Equal(new InfoHash(SHA1.HashData(B(info))), torrent.InfoHash);
        Assert.Equal(100, torrent.TotalLength);
    }

    [Fact]
    public void Parse_AnnounceList_PreferredTiersKept()
    {
        byte[] data = Wrap(SingleInfo, "8:announce3:one13:announce-listll3:one3:twoel5:threeelee");
        var torrent = Torrent.Parse(data);
        Assert.Equal("one", torrent.Announce);
        Assert.Equal(2, torrent.AnnounceList.Count);
        Assert.Equal(["one", "two"], torrent.AnnounceList[0]);
        Assert.Equal(["three"], torrent.AnnounceList[1]);
    }

    [Fact]
    public void Parse_NoTrackers_EmptyAnnounceList()
    {
        var torrent = Torrent.Parse(Wrap(SingleInfo, before: ""));
        Assert.Null(torrent.Announce);
        Assert.Empty(torrent.AnnounceList);
    }

    [Fact]
    public void Parse_Utf8Variants_ArePreferred()
    {
        string files = "d6:lengthi100e4:pathl3:\u00ff\u00fe\u00fde10:path.utf-8l4:goodee";
        string info = $"d5:filesl{files}e4:name3:bad10:name.utf-84:nice12:piece lengthi64e6:pieces{Pieces(2)}e";
        var torrent = Torrent.Parse(Wrap(info));
        Assert.Equal("nice", torrent.Name);
        Assert.Equal("good", torrent.Files[0].Path);
    }

    [Fact]
    public void Parse_Private_IsPrivate()
    {
        string info = MultiInfo(File(100, "a"), pieceCount: 2, extra: "7:privatei1e");
        Assert.True(Torrent.Parse(Wrap(info)).IsPrivate);
    }

    [Fact]
    public void GetPieceHash_Index_ReturnsTwentyBytes()
    {
        string info = $"d6:lengthi100e4:name1:a12:piece lengthi64e6:pieces40:{new string('a', 20)}{new string('b', 20)}e";
        var torrent = Torrent.Parse(Wrap(info));
        Assert.Equal(B(new string('b', 20)), torrent.GetPieceHash(1).ToArray());
    }
}
