using System.Buffers;

namespace Ezio.BitTorrent.PeerWire;

/// <summary>Message ids of BEP 3, the fast extension (BEP 6) and the extension protocol (BEP 10).</summary>
public enum MessageId : byte
{
    Choke = 0,
    Unchoke = 1,
    Interested = 2,
    NotInterested = 3,
    Have = 4,
    Bitfield = 5,
    Request = 6,
    Piece = 7,
    Cancel = 8,
    Port = 9,
    SuggestPiece = 13,
    HaveAll = 14,
    HaveNone = 15,
    RejectRequest = 16,
    AllowedFast = 17,
    Extended = 20,

    /// <summary>Not on the wire: a zero-length message.</summary>
    KeepAlive = 255,
}

/// <summary>
/// One decoded peer message. <see cref="Payload"/> (bitfield bytes, a block's data, an
/// extended message body) points into the reader's buffer and is valid only until the
/// caller advances the reader past it.
/// </summary>
public readonly record struct PeerMessage(
    MessageId Id,
    int Index,
    int Begin,
    int Length,
    byte ExtendedId,
    ReadOnlySequence<byte> Payload);

/// <summary>Limits the reader enforces before it waits for a message body.</summary>
public readonly record struct WireLimits(int PieceCount, int MaxBlockLength = WireLimits.DefaultMaxBlock, int MaxExtendedLength = 1 << 20)
{
    /// <summary>Clients request 16 KiB; we accept up to 128 KiB like most implementations.</summary>
    public const int DefaultMaxBlock = 128 * 1024;
}

public enum PeerProtocolError
{
    MessageTooLong,
    BadLength,
    UnknownMessage,
    BadBitfield,
    BadIndex,
    BadHandshake,
    WrongInfoHash,
    UnexpectedMessage,
    CorruptData,
}

/// <summary>A peer broke the protocol; closes that connection only.</summary>
public sealed class PeerProtocolException : Exception
{
    public PeerProtocolException(PeerProtocolError reason, string message) : base(message) => Reason = reason;

    public PeerProtocolError Reason { get; }
}
