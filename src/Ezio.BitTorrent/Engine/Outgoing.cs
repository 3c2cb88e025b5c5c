using Ezio.BitTorrent.PeerWire;

namespace Ezio.BitTorrent.Engine;

/// <summary>What the send loop does with one queued <see cref="Outgoing"/>.</summary>
internal enum OutgoingKind
{
    /// <summary>A message with no payload (choke, interested, have all, ...): <see cref="Outgoing.Id"/>.</summary>
    Simple,
    KeepAlive,
    /// <summary>Have, suggest or allowed fast: <see cref="Outgoing.Index"/>.</summary>
    Indexed,
    /// <summary>Request, cancel or reject: index, begin, length.</summary>
    BlockRef,
    /// <summary>A block read from storage straight into the socket buffer.</summary>
    Block,
    /// <summary>A block copied out of a piece still being filled (relayed): <see cref="Outgoing.Data"/>, pooled, returned once written.</summary>
    Copied,
    /// <summary>Our bitfield: <see cref="Outgoing.Data"/>.</summary>
    Bitfield,
    /// <summary>A BEP 10 message: extended id <see cref="Outgoing.ExtendedId"/>, payload <see cref="Outgoing.Data"/>.</summary>
    Extended,
    /// <summary>A whole piece over ezio_zpiece, compressed (or fetched compressed) when it is sent.</summary>
    ZPiece,
    /// <summary>Writes nothing: tells the send loop urgent messages wait.</summary>
    Wake,
}

/// <summary>
/// One message waiting in a peer's send queue. Built by the factories, which set exactly the
/// fields their kind uses. <see cref="Data"/> is owned by the message once queued.
/// </summary>
internal readonly record struct Outgoing
{
    private Outgoing(OutgoingKind kind, MessageId id, int index = 0, int begin = 0, int length = 0, byte[]? data = null)
    {
        Kind = kind;
        Id = id;
        Index = index;
        Begin = begin;
        Length = length;
        Data = data;
    }

    public OutgoingKind Kind { get; }

    public MessageId Id { get; }

    public int Index { get; }

    public int Begin { get; }

    public int Length { get; }

    public byte[]? Data { get; }

    /// <summary>The extended message id of an <see cref="OutgoingKind.Extended"/> or <see cref="OutgoingKind.ZPiece"/> message.</summary>
    public byte ExtendedId => (byte)Begin;

    /// <summary>True for what must not wait behind queued blocks (everything but block data).</summary>
    public bool IsUrgent => Kind is not (OutgoingKind.Block or OutgoingKind.Copied or OutgoingKind.ZPiece or OutgoingKind.Wake);

    public static Outgoing Simple(MessageId id) => new(OutgoingKind.Simple, id);

    public static Outgoing KeepAlive { get; } = new(OutgoingKind.KeepAlive, MessageId.KeepAlive);

    public static Outgoing Wake { get; } = new(OutgoingKind.Wake, MessageId.KeepAlive);

    public static Outgoing Have(int index) => new(OutgoingKind.Indexed, MessageId.Have, index);

    public static Outgoing Request(int index, int begin, int length) => new(OutgoingKind.BlockRef, MessageId.Request, index, begin, length);

    public static Outgoing Cancel(int index, int begin, int length) => new(OutgoingKind.BlockRef, MessageId.Cancel, index, begin, length);

    public static Outgoing Reject(int index, int begin, int length) => new(OutgoingKind.BlockRef, MessageId.RejectRequest, index, begin, length);

    public static Outgoing Block(int index, int begin, int length) => new(OutgoingKind.Block, MessageId.Piece, index, begin, length);

    /// <summary>A block of <paramref name="length"/> bytes from <paramref name="data"/> (rented from the shared array pool; the message owns it).</summary>
    public static Outgoing Copied(int index, int begin, int length, byte[] data) => new(OutgoingKind.Copied, MessageId.Piece, index, begin, length, data);

    public static Outgoing Bitfield(byte[] bits) => new(OutgoingKind.Bitfield, MessageId.Bitfield, data: bits);

    public static Outgoing Extended(byte extendedId, byte[] payload) => new(OutgoingKind.Extended, MessageId.Extended, begin: extendedId, data: payload);

    public static Outgoing ZPiece(byte extendedId, int index) => new(OutgoingKind.ZPiece, MessageId.Extended, index, begin: extendedId);
}
