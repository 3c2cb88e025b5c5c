using System.Buffers;
using Ezio.BitTorrent.Compression;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// One piece being fetched whole from one peer. Requests are issued in order
/// (<see cref="NextRequest"/>); blocks may arrive in any order.
/// </summary>
/// <remarks>
/// Ownership, with its <see cref="Buffer"/>: the swarm loop rents the buffer and creates the
/// download; assigning it to a connection moves it there (the receive loop fills it); a
/// verified piece moves to the disk writer, which posts it back in
/// <see cref="SwarmEvent.PieceStored"/>; a piece released, cancelled or failed moves back to
/// the swarm loop in a <see cref="PeerEvent"/>. Only the swarm loop returns buffers to the
/// pool, except the disk writer on a storage failure or when stopping.
/// <see cref="Compressed"/> moves with the download, then to the relay cache.
/// </remarks>
internal sealed class PieceDownload
{
    public const int BlockSize = 16 * 1024;

    private readonly ulong[] _received;

    public PieceDownload(int index, int length, PieceBuffer buffer)
    {
        Index = index;
        Length = length;
        Buffer = buffer;
        BlockCount = (length + BlockSize - 1) / BlockSize;
        _received = new ulong[(BlockCount + 63) >> 6];
    }

    public int Index { get; }

    public int Length { get; }

    public int BlockCount { get; }

    public PieceBuffer Buffer { get; }

    /// <summary>Next block to request.</summary>
    public int NextRequest { get; set; }

    public int ReceivedCount { get; private set; }

    /// <summary>Fetched as plain blocks from a peer that speaks ezio_zpiece (its pieces do not compress).</summary>
    public bool AsBlocks { get; set; }

    /// <summary>Nothing requested and nothing received yet: the piece can still move to another peer.</summary>
    public bool IsUntouched => NextRequest == 0 && ReceivedCount == 0;

    /// <summary>In compressed mode: not asked for yet, and to be asked for whole.</summary>
    public bool WaitsWhole => NextRequest == 0 && !AsBlocks;

    /// <summary>Set when the engine took the piece away (endgame winner elsewhere).</summary>
    public bool Cancelled { get; set; }

    /// <summary>Set by the receive loop when the assembled piece did not match its hash.</summary>
    public bool HashFailed { get; set; }

    public bool IsComplete => ReceivedCount == BlockCount;

    public int BlockLength(int block) => Math.Min(BlockSize, Length - block * BlockSize);

    /// <summary>Bytes requested from the peer and not yet received.</summary>
    public int UnrequestedBytes => Length - Math.Min(Length, NextRequest * BlockSize);

    /// <summary>
    /// Copies a block in if it is one we asked for and have not got yet. Returns false for
    /// unrequested, duplicate or misshapen blocks (the caller counts them as waste).
    /// </summary>
    public bool TryAccept(int begin, ReadOnlySequence<byte> data)
    {
        if (begin % BlockSize != 0)
        {
            return false;
        }
        var block = begin / BlockSize;
        if (block >= NextRequest || data.Length != BlockLength(block))
        {
            return false;
        }
        ref var word = ref _received[block >> 6];
        var mask = 1UL << (block & 63);
        if ((word & mask) != 0)
        {
            return false;
        }
        word |= mask;
        data.CopyTo(Buffer.Span.Slice(begin, (int)data.Length));
        ReceivedCount++;
        return true;
    }

    /// <summary>Has some blocks but not all: worth finishing from another peer.</summary>
    public bool IsPartial => ReceivedCount > 0 && ReceivedCount < BlockCount && Compressed is null;

    /// <summary>Moves to another peer: request again, as blocks, every block not received yet.</summary>
    public void RestartRequests()
    {
        NextRequest = 0;
        AsBlocks = true;
    }

    /// <summary>The piece arrived whole (ezio_zpiece) and was decoded into the buffer.</summary>
    public void AcceptWhole()
    {
        NextRequest = BlockCount;
        ReceivedCount = BlockCount;
    }

    /// <summary>The compressed form as received (its only copy), kept to relay it without recompressing.</summary>
    public byte[]? Compressed { get; set; }

    public PieceEncoding CompressedEncoding { get; set; }

    public bool IsReceived(int block) => (_received[block >> 6] & (1UL << (block & 63))) != 0;
}
