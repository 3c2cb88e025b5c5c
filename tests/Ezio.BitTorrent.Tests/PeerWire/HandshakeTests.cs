using System.Text;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.PeerWire;
using Xunit;

namespace Ezio.BitTorrent.Tests.PeerWire;

public sealed class HandshakeTests
{
    private static readonly byte[] _hash = Enumerable.Range(1, 20).Select(i => (byte)i).ToArray();
    private static readonly byte[] _peerId = "-EZ0100-abcdefghijkl"u8.ToArray();

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Parse_WrittenHandshake_RoundTrips(bool extensions, bool fast)
    {
        var sent = new Handshake(new InfoHash(_hash), _peerId, extensions, fast);
        var wire = new byte[Handshake.Length];

        sent.WriteTo(wire);
        var parsed = Handshake.Parse(wire);

        Assert.Equal(sent.InfoHash, parsed.InfoHash);
        Assert.Equal(_peerId, parsed.PeerId.ToArray());
        Assert.Equal(extensions, parsed.SupportsExtensions);
        Assert.Equal(fast, parsed.SupportsFast);
    }

    [Fact]
    public void WriteTo_Flags_SetTheBitsBep10AndBep6Name()
    {
        var wire = new byte[Handshake.Length];

        new Handshake(new InfoHash(_hash), _peerId, SupportsExtensions: true, SupportsFast: true).WriteTo(wire);

        Assert.Equal(19, wire[0]);
        Assert.Equal("BitTorrent protocol", Encoding.ASCII.GetString(wire, 1, 19));
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0x10, 0, 0x04 }, wire[20..28]);
        Assert.Equal(_hash, wire[28..48]);
        Assert.Equal(_peerId, wire[48..68]);
    }

    public static TheoryData<string> Garbage => new()
    {
        "empty",
        "short",
        "one byte short",
        "random",
        "http request",
        "wrong protocol length",
        "wrong protocol case",
    };

    private static byte[] GarbageBytes(string name)
    {
        var good = new byte[Handshake.Length];
        new Handshake(new InfoHash(_hash), _peerId, true, true).WriteTo(good);
        switch (name)
        {
            case "empty":
                return [];
            case "short":
                return good[..19];
            case "one byte short":
                return good[..^1];
            case "random":
                return WireSample.RandomBytes(Handshake.Length, seed: 68);
            case "http request":
                return Encoding.ASCII.GetBytes("GET /announce?info_hash=aaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: x\r\n\r\n");
            case "wrong protocol length":
                good[0] = 20;
                return good;
            case "wrong protocol case":
                good[19] = (byte)'L';
                return good;
            default:
                throw new ArgumentOutOfRangeException(nameof(name));
        }
    }

    [Theory]
    [MemberData(nameof(Garbage))]
    public void Parse_Garbage_ThrowsPeerProtocolException(string name)
    {
        var bytes = GarbageBytes(name);

        var error = Assert.Throws<PeerProtocolException>(() => Handshake.Parse(bytes));

        Assert.Equal(PeerProtocolError.BadHandshake, error.Reason);
    }
}
