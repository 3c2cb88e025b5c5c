using System.Text;
using Ezio.BitTorrent.PeerWire;
using Xunit;

namespace Ezio.BitTorrent.Tests.PeerWire;

public sealed class ExtensionHandshakeTests
{
    private static ExtensionHandshake Parse(string bencode) => ExtensionHandshake.Parse(Encoding.UTF8.GetBytes(bencode));

    [Fact]
    public void Parse_EncodedHandshake_RoundTrips()
    {
        var sent = new ExtensionHandshake(
            new Dictionary<string, int> { ["ut_pex"] = 1, ["ut_metadata"] = 3, ["lt_donthave"] = 7 },
            ListenPort: 6881, RequestQueue: 2048, Client: "Ezio 0.1");

        var parsed = ExtensionHandshake.Parse(sent.Encode());

        Assert.Equal(sent.Extensions.OrderBy(p => p.Key), parsed.Extensions.OrderBy(p => p.Key));
        Assert.Equal(6881, parsed.ListenPort);
        Assert.Equal(2048, parsed.RequestQueue);
        Assert.Equal("Ezio 0.1", parsed.Client);
    }

    [Fact]
    public void Parse_EncodedHandshakeWithoutOptionalKeys_RoundTripsAsNulls()
    {
        var sent = new ExtensionHandshake(new Dictionary<string, int>(), null, null, null);

        var bytes = sent.Encode();
        var parsed = ExtensionHandshake.Parse(bytes);

        Assert.Equal("d1:mdee", Encoding.ASCII.GetString(bytes));
        Assert.Empty(parsed.Extensions);
        Assert.Null(parsed.ListenPort);
        Assert.Null(parsed.RequestQueue);
        Assert.Null(parsed.Client);
    }

    [Fact]
    public void Encode_Extensions_AreWrittenInBencodeKeyOrder()
    {
        var sent = new ExtensionHandshake(new Dictionary<string, int> { ["b"] = 2, ["a"] = 1 }, 1, 2, "v");

        Assert.Equal("d1:md1:ai1e1:bi2ee1:pi1e4:reqqi2e1:v1:ve", Encoding.ASCII.GetString(sent.Encode()));
    }

    [Theory]
    [InlineData("d1:mi5e1:p3:abc4:reqq1:x1:vi7ee", "wrong type for every key")]
    [InlineData("d1:mle1:pi0e4:reqqi0e1:vlee", "zeros and lists")]
    [InlineData("d1:pi70000e4:reqqi-5ee", "port past 65535, negative reqq")]
    [InlineData("d1:pi-1ee", "negative port")]
    public void Parse_WrongTypesOrRanges_AreIgnored(string bencode, string why)
    {
        var parsed = Parse(bencode);

        Assert.True(parsed.Extensions.Count == 0, why);
        Assert.Null(parsed.ListenPort);
        Assert.Null(parsed.RequestQueue);
        Assert.Null(parsed.Client);
    }

    [Fact]
    public void Parse_ExtensionIdsOutOfRangeOrNotIntegers_AreSkipped()
    {
        var parsed = Parse("d1:md3:bad3:xyz3:negi-1e2:oki5e4:widei300ee1:xd1:ali1eeee");

        Assert.Equal(new Dictionary<string, int> { ["ok"] = 5 }, parsed.Extensions);
    }

    [Fact]
    public void Parse_HugeRequestQueue_IsClamped()
    {
        Assert.Equal(1 << 16, Parse("d4:reqqi99999999999ee").RequestQueue);
    }

    [Fact]
    public void Parse_LongClientName_IsCutTo64Bytes()
    {
        var parsed = Parse($"d1:v1000:{new string('x', 1000)}e");

        Assert.Equal(new string('x', 64), parsed.Client);
    }

    [Fact]
    public void Parse_ManyExtensions_KeepsAtMost64()
    {
        var entries = string.Concat(Enumerable.Range(0, 200).Select(i => $"{$"e{i:D3}".Length}:e{i:D3}i{i % 250}e"));

        var parsed = Parse($"d1:md{entries}ee");

        Assert.Equal(64, parsed.Extensions.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not bencode at all")]
    [InlineData("le")]
    [InlineData("i42e")]
    [InlineData("4:spam")]
    [InlineData("d1:m")]
    [InlineData("d1:md")]
    [InlineData("d1:pi12")]
    [InlineData("di1ei2ee")]
    [InlineData("d1:v99999:short")]
    [InlineData("d1:xlllllllllllllllllllleeeeeeeeeeeeeeeeeeeee")]
    public void Parse_Garbage_ThrowsPeerProtocolException(string bencode)
    {
        Assert.Throws<PeerProtocolException>(() => Parse(bencode));
    }

    [Fact]
    public void Parse_RandomBytes_OnlyEverThrowsPeerProtocolException()
    {
        var random = new Random(10);
        var good = new ExtensionHandshake(new Dictionary<string, int> { ["ut_pex"] = 1 }, 6881, 250, "x").Encode();
        for (var round = 0; round < 5000; round++)
        {
            // Mutate a valid handshake: flip, drop or truncate a few bytes.
            var bytes = good.ToArray();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }
            var length = random.Next(bytes.Length + 1);
            try
            {
                ExtensionHandshake.Parse(bytes.AsSpan(0, length));
            }
            catch (PeerProtocolException)
            {
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Parse_UploadOnly_RoundTrips(bool uploadOnly)
    {
        var sent = new ExtensionHandshake(new Dictionary<string, int>(), 6881, null, "Ezio") { UploadOnly = uploadOnly };

        var encoded = sent.Encode();

        Assert.Equal(uploadOnly, ExtensionHandshake.Parse(encoded).UploadOnly);
        Assert.Equal(uploadOnly, Encoding.UTF8.GetString(encoded).Contains("11:upload_onlyi1e", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_UploadOnlyZero_IsNotUploadOnly() =>
        Assert.False(Parse("d11:upload_onlyi0ee").UploadOnly);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Parse_Seed_RoundTrips(bool seed)
    {
        var sent = new ExtensionHandshake(new Dictionary<string, int> { ["ezio_zpiece"] = 1 }, 6881, 250, "Ezio") { Seed = seed };

        var encoded = sent.Encode();

        var parsed = ExtensionHandshake.Parse(encoded);
        Assert.Equal(seed, parsed.Seed);
        Assert.False(parsed.UploadOnly);
        Assert.Equal(seed, Encoding.UTF8.GetString(encoded).StartsWith("d9:ezio_seedi1e1:m", StringComparison.Ordinal));
    }
}
