using System.Buffers;
using System.Buffers.Binary;

namespace Ezio.BitTorrent.PeerWire;

/// <summary>
/// Frames peer messages (BEP 3 https://www.bittorrent.org/beps/bep_0003.html, BEP 6, BEP 10).
/// <code>
/// +----------------+--------+---------------------------------+
/// | length: u32 BE | id: u8 | payload: length - 1 bytes       |
/// +----------------+--------+---------------------------------+
/// length 0 = keep-alive (no id)
/// have          : index u32
/// request/cancel/reject : index u32, begin u32, length u32
/// piece         : index u32, begin u32, block bytes
/// bitfield      : ceil(pieces / 8) bytes, spare bits zero
/// suggest/allowed-fast : index u32
/// port          : u16
/// extended      : extended id u8, bencoded dictionary (+ optional trailing data)
/// </code>
/// </summary>
public static class PeerMessageReader
{
    /// <summary>
    /// Reads one message when the whole of it is buffered. Returns false (and leaves
    /// <paramref name="buffer"/> alone) when more bytes are needed. A length prefix over the
    /// limits is rejected before its body is waited for.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, in WireLimits limits, out PeerMessage message)
    {
        message = default;
        if (buffer.Length < 4)
        {
            return false;
        }
        Span<byte> header = stackalloc byte[13];
        var headerLength = (int)Math.Min(13, buffer.Length);
        buffer.Slice(0, headerLength).CopyTo(header);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length == 0)
        {
            message = new PeerMessage(MessageId.KeepAlive, 0, 0, 0, 0, default);
            buffer = buffer.Slice(4);
            return true;
        }
        if (headerLength < 5)
        {
            return false;
        }
        var id = (MessageId)header[4];
        CheckLength(id, length, limits);
        if (buffer.Length < 4 + length)
        {
            return false;
        }
        var body = buffer.Slice(5, length - 1);
        switch (id)
        {
            case MessageId.Choke:
            case MessageId.Unchoke:
            case MessageId.Interested:
            case MessageId.NotInterested:
            case MessageId.HaveAll:
            case MessageId.HaveNone:
                message = new PeerMessage(id, 0, 0, 0, 0, default);
                break;
            case MessageId.Have:
            case MessageId.SuggestPiece:
            case MessageId.AllowedFast:
                message = new PeerMessage(id, CheckIndex(ReadInt(header, 5), limits), 0, 0, 0, default);
                break;
            case MessageId.Request:
            case MessageId.Cancel:
            case MessageId.RejectRequest:
                {
                    var index = CheckIndex(ReadInt(header, 5), limits);
                    var begin = ReadInt(header, 9);
                    Span<byte> tail = stackalloc byte[4];
                    buffer.Slice(13, 4).CopyTo(tail);
                    var blockLength = BinaryPrimitives.ReadInt32BigEndian(tail);
                    if (begin < 0 || blockLength <= 0 || blockLength > limits.MaxBlockLength)
                    {
                        throw new PeerProtocolException(PeerProtocolError.BadLength,
                            $"{id} with begin {begin} and length {blockLength} is out of bounds.");
                    }
                    message = new PeerMessage(id, index, begin, blockLength, 0, default);
                    break;
                }
            case MessageId.Piece:
                {
                    var index = CheckIndex(ReadInt(header, 5), limits);
                    var begin = ReadInt(header, 9);
                    if (begin < 0)
                    {
                        throw new PeerProtocolException(PeerProtocolError.BadLength, $"piece with negative begin {begin}.");
                    }
                    message = new PeerMessage(id, index, begin, (int)length - 9, 0, buffer.Slice(13, length - 9));
                    break;
                }
            case MessageId.Bitfield:
                message = new PeerMessage(id, 0, 0, (int)length - 1, 0, body);
                break;
            case MessageId.Port:
                message = new PeerMessage(id, BinaryPrimitives.ReadUInt16BigEndian(header[5..]), 0, 0, 0, default);
                break;
            case MessageId.Extended:
                message = new PeerMessage(id, 0, 0, (int)length - 2, header[5], buffer.Slice(6, length - 2));
                break;
            default:
                // BEP 3 leaves unknown ids to be ignored; they were length-checked above.
                message = new PeerMessage(id, 0, 0, (int)length - 1, 0, body);
                break;
        }
        buffer = buffer.Slice(4 + length);
        return true;
    }

    private static void CheckLength(MessageId id, uint length, in WireLimits limits)
    {
        var ok = id switch
        {
            MessageId.Choke or MessageId.Unchoke or MessageId.Interested or MessageId.NotInterested
                or MessageId.HaveAll or MessageId.HaveNone => length == 1,
            MessageId.Have or MessageId.SuggestPiece or MessageId.AllowedFast => length == 5,
            MessageId.Request or MessageId.Cancel or MessageId.RejectRequest => length == 13,
            MessageId.Piece => length > 9 && length <= 9 + (uint)limits.MaxBlockLength,
            MessageId.Bitfield => length == 1 + (uint)((limits.PieceCount + 7) >> 3),
            MessageId.Port => length == 3,
            MessageId.Extended => length >= 2 && length <= 2 + (uint)limits.MaxExtendedLength,
            _ => length <= 1 + (uint)limits.MaxExtendedLength,
        };
        if (!ok)
        {
            var error = id == MessageId.Bitfield ? PeerProtocolError.BadBitfield : PeerProtocolError.MessageTooLong;
            throw new PeerProtocolException(error, $"{id} message with length {length} is not allowed.");
        }
    }

    private static int CheckIndex(int index, in WireLimits limits)
    {
        if (index < 0 || index >= limits.PieceCount)
        {
            throw new PeerProtocolException(PeerProtocolError.BadIndex,
                $"piece index {(uint)index} is outside 0..{limits.PieceCount - 1}.");
        }
        return index;
    }

    private static int ReadInt(ReadOnlySpan<byte> header, int offset) =>
        BinaryPrimitives.ReadInt32BigEndian(header[offset..]);
}
