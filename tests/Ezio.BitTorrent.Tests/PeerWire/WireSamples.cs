using System.Buffers.Binary;
using Ezio.BitTorrent.PeerWire;
using Ezio.BitTorrent.Picking;

namespace Ezio.BitTorrent.Tests.PeerWire;

/// <summary>
/// One well-formed message of each kind, encoded by <see cref="PeerMessageWriter"/>, with the
/// fields the reader should give back.
/// </summary>
internal sealed record WireSample(byte[] Wire, MessageId Id, int Index, int Begin, int Length, byte ExtendedId, byte[] Payload)
{
    /// <summary>100 pieces: a 13-byte bitfield with 4 spare bits.</summary>
    public static readonly WireLimits Limits = new(PieceCount: 100);

    public static readonly string[] Names =
    [
        "keep-alive", "choke", "unchoke", "interested", "not-interested", "have-all", "have-none",
        "have", "suggest", "allowed-fast", "request", "cancel", "reject", "piece", "piece-last-byte",
        "piece-max-block", "bitfield", "port", "extended-handshake", "extended-other", "unknown-id",
    ];

    public static WireSample Get(string name)
    {
        var buffer = new byte[256 * 1024];
        switch (name)
        {
            case "keep-alive":
                return Make(buffer, PeerMessageWriter.WriteKeepAlive(buffer), MessageId.KeepAlive);
            case "choke":
                return Simple(buffer, MessageId.Choke);
            case "unchoke":
                return Simple(buffer, MessageId.Unchoke);
            case "interested":
                return Simple(buffer, MessageId.Interested);
            case "not-interested":
                return Simple(buffer, MessageId.NotInterested);
            case "have-all":
                return Simple(buffer, MessageId.HaveAll);
            case "have-none":
                return Simple(buffer, MessageId.HaveNone);
            case "have":
                return Make(buffer, PeerMessageWriter.WriteIndex(buffer, MessageId.Have, 42), MessageId.Have, index: 42);
            case "suggest":
                return Make(buffer, PeerMessageWriter.WriteIndex(buffer, MessageId.SuggestPiece, 0), MessageId.SuggestPiece);
            case "allowed-fast":
                return Make(buffer, PeerMessageWriter.WriteIndex(buffer, MessageId.AllowedFast, 99), MessageId.AllowedFast, index: 99);
            case "request":
                return Make(buffer, PeerMessageWriter.WriteRequest(buffer, MessageId.Request, 3, 16384, 16384),
                    MessageId.Request, index: 3, begin: 16384, length: 16384);
            case "cancel":
                return Make(buffer, PeerMessageWriter.WriteRequest(buffer, MessageId.Cancel, 99, 0, WireLimits.DefaultMaxBlock),
                    MessageId.Cancel, index: 99, length: WireLimits.DefaultMaxBlock);
            case "reject":
                return Make(buffer, PeerMessageWriter.WriteRequest(buffer, MessageId.RejectRequest, 7, 1 << 20, 1),
                    MessageId.RejectRequest, index: 7, begin: 1 << 20, length: 1);
            case "piece":
                return Piece(buffer, index: 5, begin: 32768, RandomBytes(3000, seed: 5));
            case "piece-last-byte":
                return Piece(buffer, index: 99, begin: 7, RandomBytes(1, seed: 6));
            case "piece-max-block":
                return Piece(buffer, index: 0, begin: 0, RandomBytes(WireLimits.DefaultMaxBlock, seed: 7));
            case "bitfield":
                {
                    var bits = Bitfield.FromString(string.Concat(Enumerable.Repeat("1101000001", 10)));
                    var written = PeerMessageWriter.WriteBitfieldHeader(buffer, bits.Length);
                    var payload = new byte[Bitfield.ByteLength(bits.Length)];
                    bits.WriteTo(payload);
                    payload.CopyTo(buffer, written);
                    return Make(buffer, written + payload.Length, MessageId.Bitfield, length: payload.Length, payload: payload);
                }
            case "port":
                {
                    // The writer has no port message (we never send one); build it by hand.
                    BinaryPrimitives.WriteUInt32BigEndian(buffer, 3);
                    buffer[4] = (byte)MessageId.Port;
                    BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(5), 51413);
                    return Make(buffer, 7, MessageId.Port, index: 51413);
                }
            case "extended-handshake":
                {
                    var body = new ExtensionHandshake(new Dictionary<string, int> { ["ut_pex"] = 1 }, 6881, 500, "Ezio").Encode();
                    return Extended(buffer, 0, body);
                }
            case "extended-other":
                return Extended(buffer, 3, "d8:msg_typei0e5:piecei0ee"u8.ToArray());
            case "unknown-id":
                {
                    // BEP 3: unknown ids are passed up to be ignored, not treated as errors.
                    BinaryPrimitives.WriteUInt32BigEndian(buffer, 4);
                    buffer[4] = 99;
                    buffer[5] = 1;
                    buffer[6] = 2;
                    buffer[7] = 3;
                    return Make(buffer, 8, (MessageId)99, length: 3, payload: [1, 2, 3]);
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, "no such sample");
        }
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static WireSample Simple(byte[] buffer, MessageId id) =>
        Make(buffer, PeerMessageWriter.WriteSimple(buffer, id), id);

    private static WireSample Piece(byte[] buffer, int index, int begin, byte[] block)
    {
        var written = PeerMessageWriter.WritePieceHeader(buffer, index, begin, block.Length);
        block.CopyTo(buffer, written);
        return Make(buffer, written + block.Length, MessageId.Piece, index, begin, block.Length, payload: block);
    }

    private static WireSample Extended(byte[] buffer, byte extendedId, byte[] body)
    {
        var written = PeerMessageWriter.WriteExtendedHeader(buffer, extendedId, body.Length);
        body.CopyTo(buffer, written);
        return Make(buffer, written + body.Length, MessageId.Extended, length: body.Length, extendedId: extendedId, payload: body);
    }

    private static WireSample Make(byte[] buffer, int written, MessageId id, int index = 0, int begin = 0, int length = 0,
        byte extendedId = 0, byte[]? payload = null) =>
        new(buffer[..written], id, index, begin, length, extendedId, payload ?? []);

    public override string ToString() => $"{Id} ({Wire.Length} bytes)";
}
