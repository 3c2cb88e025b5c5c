using Ezio.BitTorrent.Bencoding;
using Ezio.BitTorrent.Metainfo;
using Xunit;
using static Ezio.BitTorrent.Tests.Metainfo.TorrentText;

namespace Ezio.BitTorrent.Tests.Metainfo;

/// <summary>Inputs an attacker or a broken creator could send: each must end in TorrentFormatException.</summary>
public sealed class TorrentHostileTests
{
    public static TheoryData<string, string> Corpus => new()
    {
        { "empty", "" },
        { "top level integer", "i1e" },
        { "top level list", "l4:infoe" },
        { "top level string", "4:info" },
        { "no info", "d8:announce1:xe" },
        { "info is a list", "d4:infolee" },
        { "trailing data", "d4:info" + SingleInfo + "eXYZ" },
        { "duplicate info", "d4:info" + SingleInfo + "4:info" + SingleInfo + "e" },
        { "huge string length", "d1:x99999999999999999999:4:info" + SingleInfo + "e" },
        { "negative string length", "d4:info-5:abcdee" },
        { "leading zero length", "d4:info" + SingleInfo.Replace("5:a.txt", "05:a.txt") + "e" },
        { "minus zero", "d4:info" + SingleInfo.Replace("i100e", "i-0e") + "e" },
        { "empty integer", "d4:info" + SingleInfo.Replace("i100e", "ie") + "e" },
        { "leading zero integer", "d4:info" + SingleInfo.Replace("i100e", "i0100e") + "e" },
        { "integer overflow", "d4:info" + SingleInfo.Replace("i100e", "i99999999999999999999e") + "e" },
        { "negative length", "d4:info" + SingleInfo.Replace("i100e", "i-100e") + "e" },
        { "zero length", "d4:info" + SingleInfo.Replace("i100e", "i0e").Replace("pieces40:" + new string('h', 40), "pieces0:") + "e" },
        { "pieces not multiple of 20", "d4:info" + SingleInfo.Replace("pieces40:" + new string('h', 40), "pieces39:" + new string('h', 39)) + "e" },
        { "too few pieces", "d4:info" + SingleInfo.Replace("pieces40:" + new string('h', 40), "pieces20:" + new string('h', 20)) + "e" },
        { "too many pieces", "d4:info" + SingleInfo.Replace("pieces40:" + new string('h', 40), "pieces60:" + new string('h', 60)) + "e" },
        { "zero piece length", "d4:info" + SingleInfo.Replace("lengthi64e", "lengthi0e") + "e" },
        { "negative piece length", "d4:info" + SingleInfo.Replace("lengthi64e", "lengthi-64e") + "e" },
        { "piece length above 256 MiB", "d4:info" + SingleInfo.Replace("lengthi64e", "lengthi536870912e") + "e" },
        { "no name", "d4:infod6:lengthi100e12:piece lengthi64e6:pieces" + Pieces(2) + "ee" },
        { "name is dotdot", "d4:info" + SingleInfo.Replace("5:a.txt", "2:..") + "e" },
        { "name has slash", "d4:info" + SingleInfo.Replace("5:a.txt", "5:a/txt") + "e" },
        { "name has NUL", "d4:info" + SingleInfo.Replace("5:a.txt", "5:a\0txt") + "e" },
        { "neither length nor files", "d4:infod4:name1:a12:piece lengthi64e6:pieces0:ee" },
        { "both length and files", "d4:info" + MultiInfo(File(100, "a"), 2, "6:lengthi100e") + "e" },
        { "path traversal", "d4:info" + MultiInfo(File(100, "..", "etc", "passwd"), 2) + "e" },
        { "path dot", "d4:info" + MultiInfo(File(100, ".", "a"), 2) + "e" },
        { "path with slash", "d4:info" + MultiInfo(File(100, "../x"), 2) + "e" },
        { "empty path list", "d4:info" + MultiInfo("d6:lengthi100e4:pathlee", 2) + "e" },
        { "empty path segment", "d4:info" + MultiInfo(File(100, "a", ""), 2) + "e" },
        { "path not a list", "d4:info" + MultiInfo("d6:lengthi100e4:path1:ae", 2) + "e" },
        { "file without length", "d4:info" + MultiInfo("d4:pathl1:aee", 2) + "e" },
        { "file without path", "d4:info" + MultiInfo("d6:lengthi100ee", 2) + "e" },
        { "file negative length", "d4:info" + MultiInfo(File(-1, "a") + File(101, "b"), 2) + "e" },
        { "duplicate file path", "d4:info" + MultiInfo(File(50, "a") + File(50, "a"), 2) + "e" },
        { "no files", "d4:info" + MultiInfo("", 0) + "e" },
        { "total overflow", "d4:info" + MultiInfo(File(long.MaxValue, "a") + File(long.MaxValue, "b"), 2) + "e" },
        { "invalid UTF-8 path", "d4:info" + MultiInfo("d6:lengthi100e4:pathl2:\u00ff\u00feee", 2) + "e" },
        { "non-string key", "d4:info" + SingleInfo.Insert(1, "i1ei2e") + "e" },
        { "announce is integer", "d8:announcei1e4:info" + SingleInfo + "e" },
        { "unterminated", "d4:info" + SingleInfo },
        { "block roots for one piece of two", "d4:info" + SingleInfo.Insert(1, "16:ezio block roots32:" + new string('r', 32)) + "e" },
        { "block roots twice", "d4:info" + SingleInfo.Insert(1, "16:ezio block roots64:" + new string('r', 64) + "16:ezio block roots64:" + new string('r', 64)) + "e" },
    };

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Parse_HostileInput_ThrowsTorrentFormatException(string why, string input)
    {
        var e = Assert.Throws<TorrentFormatException>(() => Torrent.Parse(B(input)));
        Assert.False(string.IsNullOrEmpty(e.Message), why);
    }

    [Fact]
    public void Parse_ValidTorrentTruncatedAtEveryByte_Throws()
    {
        byte[] full = Wrap(MultiInfo(File(10, "a") + File(90, "sub", "b"), 2, "7:privatei1e"),
            "8:announce3:one13:announce-listll3:oneel3:twoee7:comment1:x");
        Torrent.Parse(full);
        for (int length = 0; length < full.Length; length++)
        {
            Assert.Throws<TorrentFormatException>(() => Torrent.Parse(full.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Parse_ValidTorrentWithEveryByteFlipped_NeverCrashes()
    {
        byte[] full = Wrap(MultiInfo(File(10, "a") + File(90, "sub", "b"), 2));
        for (int i = 0; i < full.Length; i++)
        {
            foreach (byte replacement in "e0:i-dl9x"u8)
            {
                byte[] mutated = (byte[])full.Clone();
                mutated[i] = replacement;
                try
                {
                    Torrent.Parse(mutated);
                }
                catch (TorrentFormatException)
                {
                }
            }
        }
    }

    [Fact]
    public void Parse_NestedTenThousandDeep_ThrowsWithTooDeepInside()
    {
        string deep = new string('l', 10_000) + new string('e', 10_000);
        var e = Assert.Throws<TorrentFormatException>(() => Torrent.Parse(B("d4:info" + deep + "e")));
        var deepInUnknownKey = Assert.Throws<TorrentFormatException>(() => Torrent.Parse(B("d1:x" + deep + "4:info" + SingleInfo + "e")));
        Assert.Equal(BencodeError.TooDeep, Assert.IsType<BencodeException>(deepInUnknownKey.InnerException).Reason);
        Assert.NotNull(e);
    }
}
