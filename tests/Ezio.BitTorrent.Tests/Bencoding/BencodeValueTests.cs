using System.Text;
using Ezio.BitTorrent.Bencoding;
using Xunit;

namespace Ezio.BitTorrent.Tests.Bencoding;

public sealed class BencodeValueTests
{
    private static byte[] B(string s) => Encoding.Latin1.GetBytes(s);

    [Fact]
    public void Parse_TrackerResponse_LooksUpByKey()
    {
        byte[] data = B("d8:completei3e8:intervali1800e5:peers6:\u007f\0\0\u0001\u001a\u00e15:filesd3:\u00ff\u0001\u0002i1eee");
        var root = Assert.IsType<BencodeDictionary>(BencodeValue.Parse(data));

        Assert.Equal(1800, root.GetInteger("interval"));
        Assert.Equal(3, root.GetInteger("complete"));
        Assert.Null(root.GetInteger("peers"));
        Assert.Equal(new byte[] { 127, 0, 0, 1, 0x1a, 0xe1 }, root.GetBytes("peers")!.Value.ToArray());
        Assert.Equal(1, root.GetDictionary("files")!.GetInteger("\u00ff\u0001\u0002"));
        Assert.Null(root.GetText("missing"));
    }

    [Fact]
    public void Parse_List_ReadsItems()
    {
        var list = Assert.IsType<BencodeList>(BencodeValue.Parse(B("l4:spami-1elee")));
        Assert.Equal("spam", Assert.IsType<BencodeString>(list.Items[0]).Text);
        Assert.Equal(-1, Assert.IsType<BencodeInteger>(list.Items[1]).Value);
        Assert.Empty(Assert.IsType<BencodeList>(list.Items[2]).Items);
    }

    [Theory]
    [InlineData("d1:ai1e1:ai2ee", BencodeError.DuplicateKey)]
    [InlineData("i1ei2e", BencodeError.TrailingData)]
    [InlineData("d1:a", BencodeError.UnexpectedEnd)]
    [InlineData("e", BencodeError.UnexpectedByte)]
    [InlineData("", BencodeError.UnexpectedEnd)]
    public void Parse_Malformed_Throws(string input, BencodeError reason)
    {
        var e = Assert.Throws<BencodeException>(() => BencodeValue.Parse(B(input)));
        Assert.Equal(reason, e.Reason);
    }

    [Fact]
    public void Parse_TenThousandDeep_ThrowsTooDeep()
    {
        byte[] input = B(new string('l', 10_000) + new string('e', 10_000));
        Assert.Equal(BencodeError.TooDeep, Assert.Throws<BencodeException>(() => BencodeValue.Parse(input)).Reason);
    }
}
