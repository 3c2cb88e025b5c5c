using System.Buffers;
using System.Buffers.Binary;
using Ezio.BitTorrent.PeerWire;
using Ezio.TestKit.PeerWire;
using Xunit;

namespace Ezio.BitTorrent.Tests.PeerWire;

/// <summary>
/// Inputs a hostile or broken peer could send. Each must end in <see cref="PeerProtocolException"/>:
/// no other exception type, no waiting for a body that should never be accepted.
/// </summary>
public sealed class PeerMessageReaderHostileTests
{
    private static readonly WireLimits _limits = WireSample.Limits;

    /// <summary>A length prefix and id, optionally followed by big-endian u32 fields, then raw bytes.</summary>
    private static byte[] Frame(uint length, byte id, int[]? fields = null, int extraBytes = 0)
    {
        fields ??= [];
        var bytes = new byte[5 + (fields.Length * 4) + extraBytes];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, length);
        bytes[4] = id;
        for (var i = 0; i < fields.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(5 + (i * 4)), fields[i]);
        }
        return bytes;
    }

    // Each case is exactly the bytes buffered when the reader must already refuse.
    private static readonly Dictionary<string, (byte[] Bytes, PeerProtocolError Reason)> _corpus = new()
    {
        ["huge length, header only"] = (Frame(0xFFFFFFFF, (byte)MessageId.Piece), PeerProtocolError.MessageTooLong),
        ["huge length, unknown id"] = (Frame(0xFFFFFFFF, 99), PeerProtocolError.MessageTooLong),
        ["huge length, choke id"] = (Frame(0xFFFFFFFF, (byte)MessageId.Choke), PeerProtocolError.MessageTooLong),
        ["huge length, bitfield id"] = (Frame(0xFFFFFFFF, (byte)MessageId.Bitfield), PeerProtocolError.BadBitfield),
        ["huge length, extended id"] = (Frame(0xFFFFFFFF, (byte)MessageId.Extended), PeerProtocolError.MessageTooLong),
        ["2 GiB length, keep-alive-looking id"] = (Frame(0x80000000, 255), PeerProtocolError.MessageTooLong),
        ["request over 128 KiB"] = (Frame(13, (byte)MessageId.Request, [1, 0, (128 * 1024) + 1]), PeerProtocolError.BadLength),
        ["request of 0 bytes"] = (Frame(13, (byte)MessageId.Request, [1, 0, 0]), PeerProtocolError.BadLength),
        ["request of -1 bytes"] = (Frame(13, (byte)MessageId.Request, [1, 0, -1]), PeerProtocolError.BadLength),
        ["request of int.MinValue bytes"] = (Frame(13, (byte)MessageId.Request, [1, 0, int.MinValue]), PeerProtocolError.BadLength),
        ["request at negative begin"] = (Frame(13, (byte)MessageId.Request, [1, -16384, 16384]), PeerProtocolError.BadLength),
        ["cancel of 0 bytes"] = (Frame(13, (byte)MessageId.Cancel, [1, 0, 0]), PeerProtocolError.BadLength),
        ["reject over 128 KiB"] = (Frame(13, (byte)MessageId.RejectRequest, [1, 0, 1 << 20]), PeerProtocolError.BadLength),
        ["request index = piece count"] = (Frame(13, (byte)MessageId.Request, [100, 0, 16384]), PeerProtocolError.BadIndex),
        ["request negative index"] = (Frame(13, (byte)MessageId.Request, [-1, 0, 16384]), PeerProtocolError.BadIndex),
        ["request too short"] = (Frame(12, (byte)MessageId.Request), PeerProtocolError.MessageTooLong),
        ["request too long"] = (Frame(14, (byte)MessageId.Request), PeerProtocolError.MessageTooLong),
        ["have index = piece count"] = (Frame(5, (byte)MessageId.Have, [100]), PeerProtocolError.BadIndex),
        ["have index int.MaxValue"] = (Frame(5, (byte)MessageId.Have, [int.MaxValue]), PeerProtocolError.BadIndex),
        ["have negative index"] = (Frame(5, (byte)MessageId.Have, [-1]), PeerProtocolError.BadIndex),
        ["suggest index = piece count"] = (Frame(5, (byte)MessageId.SuggestPiece, [100]), PeerProtocolError.BadIndex),
        ["allowed-fast negative index"] = (Frame(5, (byte)MessageId.AllowedFast, [int.MinValue]), PeerProtocolError.BadIndex),
        ["have of length 4"] = (Frame(4, (byte)MessageId.Have), PeerProtocolError.MessageTooLong),
        ["have of length 6"] = (Frame(6, (byte)MessageId.Have), PeerProtocolError.MessageTooLong),
        ["have of length 1"] = (Frame(1, (byte)MessageId.Have), PeerProtocolError.MessageTooLong),
        ["piece index = piece count"] = (Frame(9 + 16384, (byte)MessageId.Piece, [100, 0], 16384), PeerProtocolError.BadIndex),
        ["piece negative index"] = (Frame(9 + 16, (byte)MessageId.Piece, [-5, 0], 16), PeerProtocolError.BadIndex),
        ["piece negative begin"] = (Frame(9 + 16, (byte)MessageId.Piece, [1, -16], 16), PeerProtocolError.BadLength),
        ["piece without a block"] = (Frame(9, (byte)MessageId.Piece), PeerProtocolError.MessageTooLong),
        ["piece block over 128 KiB"] = (Frame(9 + (128 * 1024) + 1, (byte)MessageId.Piece), PeerProtocolError.MessageTooLong),
        ["bitfield one byte short"] = (Frame(1 + 12, (byte)MessageId.Bitfield), PeerProtocolError.BadBitfield),
        ["bitfield one byte long"] = (Frame(1 + 14, (byte)MessageId.Bitfield), PeerProtocolError.BadBitfield),
        ["bitfield empty"] = (Frame(1, (byte)MessageId.Bitfield), PeerProtocolError.BadBitfield),
        ["choke with a payload"] = (Frame(2, (byte)MessageId.Choke), PeerProtocolError.MessageTooLong),
        ["unchoke with a payload"] = (Frame(5, (byte)MessageId.Unchoke), PeerProtocolError.MessageTooLong),
        ["have-all with a payload"] = (Frame(2, (byte)MessageId.HaveAll), PeerProtocolError.MessageTooLong),
        ["port of length 5"] = (Frame(5, (byte)MessageId.Port), PeerProtocolError.MessageTooLong),
        ["extended without an id"] = (Frame(1, (byte)MessageId.Extended), PeerProtocolError.MessageTooLong),
        ["extended over 1 MiB"] = (Frame(2 + (1 << 20) + 1, (byte)MessageId.Extended), PeerProtocolError.MessageTooLong),
        ["unknown id over 1 MiB"] = (Frame(2 + (1 << 20), 200), PeerProtocolError.MessageTooLong),
    };

    public static TheoryData<string> Corpus => new(_corpus.Keys);

    [Theory]
    [MemberData(nameof(Corpus))]
    public void TryRead_HostileInput_ThrowsPeerProtocolException(string name)
    {
        var (bytes, reason) = _corpus[name];

        var error = Assert.Throws<PeerProtocolException>(() =>
        {
            var buffer = new ReadOnlySequence<byte>(bytes);
            PeerMessageReader.TryRead(ref buffer, _limits, out _);
        });

        Assert.Equal(reason, error.Reason);
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public void TryRead_HostileInputInOneByteSegments_ThrowsPeerProtocolException(string name)
    {
        var (bytes, _) = _corpus[name];

        Assert.Throws<PeerProtocolException>(() =>
        {
            var buffer = Sequences.Chunked(bytes, 1);
            PeerMessageReader.TryRead(ref buffer, _limits, out _);
        });
    }

    [Fact]
    public void TryRead_HugeLengthWithFiveBytesBuffered_ThrowsBeforeTheBodyArrives()
    {
        byte[] bytes = [0xFF, 0xFF, 0xFF, 0xFF, (byte)MessageId.Piece];

        // Four bytes say nothing yet about the id: waiting is right.
        var four = new ReadOnlySequence<byte>(bytes, 0, 4);
        Assert.False(PeerMessageReader.TryRead(ref four, _limits, out _));

        var error = Assert.Throws<PeerProtocolException>(() =>
        {
            var five = new ReadOnlySequence<byte>(bytes);
            PeerMessageReader.TryRead(ref five, _limits, out _);
        });
        Assert.Equal(PeerProtocolError.MessageTooLong, error.Reason);
    }

    [Fact]
    public void TryRead_HostileMessageAfterGoodOne_ReadsGoodOneThenThrows()
    {
        var bytes = WireSample.Get("have").Wire.Concat(Frame(0xFFFFFFFF, (byte)MessageId.Bitfield)).ToArray();
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.True(PeerMessageReader.TryRead(ref buffer, _limits, out var first));
        Assert.Equal(MessageId.Have, first.Id);
        var rest = buffer;
        Assert.Throws<PeerProtocolException>(() => PeerMessageReader.TryRead(ref rest, _limits, out _));
    }

    [Fact]
    public void TryRead_RandomBytes_OnlyEverThrowsPeerProtocolException()
    {
        // A cheap fuzzer: short random frames, biased towards plausible lengths and real ids so
        // the checks past the length prefix get exercised too.
        var random = new Random(20240601);
        var ids = Enum.GetValues<MessageId>().Select(id => (byte)id).Append((byte)21).Append((byte)200).ToArray();
        var protocolErrors = 0;
        var messages = 0;
        for (var round = 0; round < 20_000; round++)
        {
            var bytes = new byte[random.Next(0, 48)];
            random.NextBytes(bytes);
            if (bytes.Length >= 5 && random.Next(4) != 0)
            {
                BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)random.Next(0, 20));
                bytes[4] = ids[random.Next(ids.Length)];
            }
            var buffer = Sequences.Chunked(bytes, random.Next(1, 8));
            try
            {
                // Each successful read consumes at least four bytes, so this loop ends.
                while (PeerMessageReader.TryRead(ref buffer, _limits, out _))
                {
                    messages++;
                }
            }
            catch (PeerProtocolException)
            {
                protocolErrors++;
            }
        }

        // Both paths were really taken.
        Assert.True(messages > 1000, $"{messages} messages decoded");
        Assert.True(protocolErrors > 1000, $"{protocolErrors} protocol errors");
    }
}
