using System.Buffers;
using System.Buffers.Binary;
using Ezio.BitTorrent.Compression;

namespace Ezio.BitTorrent.PeerWire;

/// <summary>
/// Ezio's compressed-piece extension, negotiated as <c>ezio_zpiece</c> in the BEP 10
/// handshake. Whole pieces travel as one message, compressed on their own, so a seeder can
/// send what its piece store holds as it is. The info-hash and the SHA-1 piece hashes are
/// unchanged: they cover the uncompressed bytes, which the receiver checks after decompressing.
/// Peers without the extension keep getting plain BEP 3 blocks from the same swarm.
/// <code>
/// extended message (BEP 10), id = the receiver's id for ezio_zpiece:
/// +---------+------------+------------------------------------------+
/// | kind u8 | index u32  | rest                                     |
/// +---------+------------+------------------------------------------+
/// kind 0 request : (nothing)              "send me piece index"
/// kind 1 piece   : encoding u8, payload   raw = the piece, zstd = one frame,
///                                         zero = no payload (every byte 0)
/// kind 2 reject  : (nothing)              "not now": fetch it elsewhere or as blocks
/// </code>
/// </summary>
public static class ZPieceMessage
{
    public const string ExtensionName = "ezio_zpiece";
    public const byte LocalId = 2;

    public const byte Request = 0;
    public const byte Piece = 1;
    public const byte Reject = 2;

    public const int PieceHeaderLength = 6;

    public static byte[] EncodeRequest(byte kind, int index)
    {
        var bytes = new byte[5];
        bytes[0] = kind;
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(1), index);
        return bytes;
    }

    public static void WritePieceHeader(Span<byte> destination, int index, PieceEncoding encoding)
    {
        destination[0] = Piece;
        BinaryPrimitives.WriteInt32BigEndian(destination[1..], index);
        destination[5] = (byte)encoding;
    }

    /// <summary>Parses the fixed part; throws <see cref="PeerProtocolException"/> on malformed frames.</summary>
    public static (byte Kind, int Index, PieceEncoding Encoding, ReadOnlySequence<byte> Payload) Parse(ReadOnlySequence<byte> body, int pieceCount)
    {
        if (body.Length < 5)
        {
            throw new PeerProtocolException(PeerProtocolError.BadLength, "ezio_zpiece message too short.");
        }
        Span<byte> head = stackalloc byte[6];
        var headLength = (int)Math.Min(6, body.Length);
        body.Slice(0, headLength).CopyTo(head);
        var kind = head[0];
        var index = BinaryPrimitives.ReadInt32BigEndian(head[1..]);
        if (index < 0 || index >= pieceCount)
        {
            throw new PeerProtocolException(PeerProtocolError.BadIndex, $"ezio_zpiece for piece {index} outside 0..{pieceCount - 1}.");
        }
        switch (kind)
        {
            case Request or Reject when body.Length == 5:
                return (kind, index, PieceEncoding.Raw, default);
            case Piece when body.Length >= 6 && head[5] <= (byte)PieceEncoding.Zero:
                return (kind, index, (PieceEncoding)head[5], body.Slice(6));
            default:
                throw new PeerProtocolException(PeerProtocolError.UnexpectedMessage, $"malformed ezio_zpiece message (kind {kind}, {body.Length} bytes).");
        }
    }
}
