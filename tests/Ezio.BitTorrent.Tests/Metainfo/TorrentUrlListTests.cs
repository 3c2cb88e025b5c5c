using Ezio.BitTorrent.Metainfo;
using Xunit;
using static Ezio.BitTorrent.Tests.Metainfo.TorrentText;

namespace Ezio.BitTorrent.Tests.Metainfo;

/// <summary>BEP 19 "url-list": a list of URLs or one URL, outside the info dictionary.</summary>
public sealed class TorrentUrlListTests
{
    [Fact]
    public void Parse_UrlListAsList_KeepsHttpUrlsInOrderAndDropsTheRest()
    {
        var torrent = Torrent.Parse(Wrap(SingleInfo, "8:url-listl20:http://a.example/img13:ftp://b/x.img8:nonsense20:https://c.example/d/i2ee"));

        Assert.Equal(["http://a.example/img", "https://c.example/d/"], torrent.WebSeeds.Select(u => u.ToString()));
    }

    [Fact]
    public void Parse_UrlListAsString_IsOneWebSeed()
    {
        var torrent = Torrent.Parse(Wrap(SingleInfo, "8:url-list20:http://a.example/img"));
        var plain = Torrent.Parse(Wrap(SingleInfo));

        Assert.Equal("http://a.example/img", Assert.Single(torrent.WebSeeds).ToString());
        Assert.Empty(plain.WebSeeds);
        Assert.Equal(plain.InfoHash, torrent.InfoHash);
    }

    [Fact]
    public void Parse_UrlListTwice_IsRejected()
    {
        Assert.Throws<TorrentFormatException>(() => Torrent.Parse(Wrap(SingleInfo, "8:url-list8:http://a8:url-list8:http://b")));
    }

    [Fact]
    public void WithWebSeeds_AddsToUrlList_KeepsTheInfoHashAndKeysSorted()
    {
        var original = Wrap(SingleInfo, "8:announce13:http://t/anno8:url-list20:http://a.example/img");
        var extended = TorrentBuilder.WithWebSeeds(original, [new Uri("http://b.example/x"), new Uri("http://a.example/img")]);

        var torrent = Torrent.Parse(extended);
        Assert.Equal(["http://a.example/img", "http://b.example/x"], torrent.WebSeeds.Select(u => u.ToString()));
        Assert.Equal(Torrent.Parse(original).InfoHash, torrent.InfoHash);
        Assert.Equal("http://t/anno", torrent.Announce);
        Assert.Equal(B("d8:announce13:http://t/anno4:info" + SingleInfo + "8:url-listl20:http://a.example/img18:http://b.example/xee"), extended);
    }

    [Fact]
    public void WithWebSeeds_KeyAfterUrlList_StaysAfterIt()
    {
        var original = B("d4:info" + SingleInfo + "4:zzzzi1ee");
        var extended = TorrentBuilder.WithWebSeeds(original, [new Uri("http://w/")]);

        Assert.Equal(B("d4:info" + SingleInfo + "8:url-listl9:http://w/e4:zzzzi1ee"), extended);
    }
}
