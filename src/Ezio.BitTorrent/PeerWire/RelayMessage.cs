using System.Buffers;
using System.Buffers.Binary;

namespace Ezio.BitTorrent.PeerWire;

/// <summary>
/// Ezio's block-relay extension, negotiated as <c>ezio_relay</c> in the BEP 10 handshake and
/// used only on torrents with "ezio block roots": a peer filling a piece says so, and others
/// may request that piece's blocks from it before it is whole; each block it passes on it has
/// checked against the piece's block list, which it checked against the root the info-hash
/// covers. Requests for blocks it has not received yet wait at it (a pipelined chain).
/// <code>
/// extended message (BEP 10), id = the receiver's id for ezio_relay:
/// +---------+------------+-----------------------------------------------+
/// | kind u8 | index u32  | rest                                          |
/// +---------+------------+-----------------------------------------------+
/// kind 0 ask  : (nothing)        "send me piece index's block list"
/// kind 1 list : 32 bytes a block  the list (SHA-256 of each 16 KiB block);
///                                 nothing: "I have none"
/// kind 2 part : (nothing)        "I am filling piece index: ask me for its blocks"
/// kind 3 drop : (nothing)        "I stopped filling it": what was asked of me and
///                                 has not come is rejected
/// </code>
/// </summary>
public static class RelayMessage
{
    public const string ExtensionName = "ezio_relay";
    public const byte LocalId = 3;

    public const byte Ask = 0;
    public const byte List = 1;
    public const byte Part = 2;
    public const byte Drop = 3;

    public static byte[] Encode(byte kind, int index, ReadOnlySpan<byte> list = default)
    {
        var bytes = new byte[5 + list.Length];
        bytes[0] = kind;
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(1), index);
        list.CopyTo(bytes.AsSpan(5));
        return bytes;
    }

    /// <summary>Parses a message; throws <see cref="PeerProtocolException"/> on malformed ones.</summary>
    public static (byte Kind, int Index, byte[] List) Parse(ReadOnlySequence<byte> body, int pieceCount)
    {
        if (body.Length < 5)
        {
            throw new PeerProtocolException(PeerProtocolError.BadLength, "ezio_relay message too short.");
        }
        Span<byte> head = stackalloc byte[5];
        body.Slice(0, 5).CopyTo(head);
        var kind = head[0];
        var index = BinaryPrimitives.ReadInt32BigEndian(head[1..]);
        if (index < 0 || index >= pieceCount)
        {
            throw new PeerProtocolException(PeerProtocolError.BadIndex, $"ezio_relay for piece {index} outside 0..{pieceCount - 1}.");
        }
        switch (kind)
        {
            case Ask or Part or Drop when body.Length == 5:
                return (kind, index, []);
            case List when (body.Length - 5) % 32 == 0:
                return (kind, index, body.Slice(5).ToArray());
            default:
                throw new PeerProtocolException(PeerProtocolError.UnexpectedMessage, $"malformed ezio_relay message (kind {kind}, {body.Length} bytes).");
        }
    }
}
