using System.Buffers;
using Ezio.BitTorrent.Compression;
using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.PeerWire;
using Ezio.BitTorrent.Storage;
using Ezio.Imaging.Compression;
using Ezio.TestKit.Metainfo;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>ezio_zpiece frames written and read back, without a connection.</summary>
public sealed class ZPieceCodecTests
{
    private const int PieceLength = 64 << 10;

    // Piece 0 compresses (text), piece 1 is zeros, piece 2 is random bytes.
    private static (ZPieceCodec Codec, byte[] Data, CompressedPieceCache Cache) Create()
    {
        var data = new byte[3 * PieceLength];
        var text = "a piece of an image that compresses well, "u8.ToArray();
        for (var i = 0; i < PieceLength; i++)
        {
            data[i] = text[i % text.Length];
        }
        new Random(5).NextBytes(data.AsSpan(2 * PieceLength, PieceLength));
        // Only the layout matters here (nothing is hashed): any torrent of three such pieces.
        var torrent = MemoryTorrent.Create(data.Length, PieceLength, fileCount: 1, seed: 5);
        var cache = new CompressedPieceCache(16 << 20);
        var codec = new ZPieceCodec(torrent.Torrent, MemoryStorage.FromBytes(data, mayHaveData: true), ZstdPieceCodec.Instance, level: 1, cache);
        return (codec, data, cache);
    }

    private static (PieceEncoding Encoding, byte[] Piece, int Payload) RoundTrip(ZPieceCodec codec, int index)
    {
        var writer = new ArrayBufferWriter<byte>();
        var payload = codec.WriteFrame(writer, extendedId: 3, index);
        var frame = new ReadOnlySequence<byte>(writer.WrittenMemory);
        Assert.True(PeerMessageReader.TryRead(ref frame, new WireLimits(3, MaxExtendedLength: PieceLength + 64), out var message));
        Assert.Equal(3, message.ExtendedId);
        var (kind, parsedIndex, encoding, body) = ZPieceMessage.Parse(message.Payload, 3);
        Assert.Equal(ZPieceMessage.Piece, kind);
        Assert.Equal(index, parsedIndex);
        var piece = new byte[PieceLength];
        ZPieceCodec.Decode(ZstdPieceCodec.Instance, index, encoding, body, piece);
        return (encoding, piece, payload);
    }

    [Fact]
    public void WriteFrame_EachKindOfPiece_DecodesToTheStoredBytes()
    {
        var (codec, data, _) = Create();
        for (var index = 0; index < 3; index++)
        {
            var (_, piece, _) = RoundTrip(codec, index);
            Assert.True(data.AsSpan(index * PieceLength, PieceLength).SequenceEqual(piece), $"piece {index}");
        }
    }

    [Fact]
    public void WriteFrame_ChoosesTheEncodingAndRemembersWhatDoesNotCompress()
    {
        var (codec, _, cache) = Create();

        var text = RoundTrip(codec, 0);
        var zeros = RoundTrip(codec, 1);
        var random = RoundTrip(codec, 2);

        Assert.Equal(PieceEncoding.Zstd, text.Encoding);
        Assert.InRange(text.Payload, 1, PieceLength / 4);
        Assert.Equal((PieceEncoding.Zero, 0), (zeros.Encoding, zeros.Payload));
        Assert.Equal((PieceEncoding.Raw, PieceLength), (random.Encoding, random.Payload));
        Assert.Equal(PieceCompressibility.Incompressible, codec.Hint(2));
        Assert.Equal(1, codec.CompressedOnTheFly);
        // The compressed piece is kept for relaying: the second time it is not compressed again.
        Assert.True(cache.TryGet(0, out _, out _));
        RoundTrip(codec, 0);
        Assert.Equal(1, codec.CompressedOnTheFly);
    }

    [Fact]
    public void Decode_PayloadOfTheWrongSize_IsAProtocolError()
    {
        var target = new byte[PieceLength];
        Assert.Throws<PeerProtocolException>(() =>
            ZPieceCodec.Decode(ZstdPieceCodec.Instance, 0, PieceEncoding.Raw, new ReadOnlySequence<byte>(new byte[10]), target));
        Assert.Throws<PeerProtocolException>(() =>
            ZPieceCodec.Decode(ZstdPieceCodec.Instance, 0, PieceEncoding.Zstd, new ReadOnlySequence<byte>(new byte[100]), target));
    }
}
