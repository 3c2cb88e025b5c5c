using System.Buffers.Binary;

namespace Ezio.BitTorrent.PeerWire;

/// <summary>Encodes peer messages (see <see cref="PeerMessageReader"/> for the layout).</summary>
public static class PeerMessageWriter
{
    public const int KeepAliveLength = 4;
    public const int SimpleLength = 5;
    public const int HaveLength = 9;
    public const int RequestLength = 17;
    public const int PieceHeaderLength = 13;

    public static int WriteKeepAlive(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, 0);
        return KeepAliveLength;
    }

    /// <summary>choke, unchoke, interested, not interested, have all, have none.</summary>
    public static int WriteSimple(Span<byte> destination, MessageId id)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, 1);
        destination[4] = (byte)id;
        return SimpleLength;
    }

    /// <summary>have, suggest piece, allowed fast.</summary>
    public static int WriteIndex(Span<byte> destination, MessageId id, int index)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, 5);
        destination[4] = (byte)id;
        BinaryPrimitives.WriteInt32BigEndian(destination[5..], index);
        return HaveLength;
    }

    /// <summary>request, cancel, reject request.</summary>
    public static int WriteRequest(Span<byte> destination, MessageId id, int index, int begin, int length)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, 13);
        destination[4] = (byte)id;
        BinaryPrimitives.WriteInt32BigEndian(destination[5..], index);
        BinaryPrimitives.WriteInt32BigEndian(destination[9..], begin);
        BinaryPrimitives.WriteInt32BigEndian(destination[13..], length);
        return RequestLength;
    }

    /// <summary>The 13-byte header of a piece message; the block follows it.</summary>
    public static int WritePieceHeader(Span<byte> destination, int index, int begin, int blockLength)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(9 + blockLength));
        destination[4] = (byte)MessageId.Piece;
        BinaryPrimitives.WriteInt32BigEndian(destination[5..], index);
        BinaryPrimitives.WriteInt32BigEndian(destination[9..], begin);
        return PieceHeaderLength;
    }

    public static int WriteBitfieldHeader(Span<byte> destination, int pieceCount)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(1 + ((pieceCount + 7) >> 3)));
        destination[4] = (byte)MessageId.Bitfield;
        return 5;
    }

    public static int WriteExtendedHeader(Span<byte> destination, byte extendedId, int bodyLength)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(2 + bodyLength));
        destination[4] = (byte)MessageId.Extended;
        destination[5] = extendedId;
        return 6;
    }
}
