using System.Buffers;
using Ezio.BitTorrent.Compression;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// One piece being fetched whole from one peer. Requests are issued in order
/// (<see cref="NextRequest"/>); blocks may arrive in any order.
/// </summary>
/// <remarks>
/// Ownership, with its <see cref="Buffer"/>: the swarm loop rents the buffer, creates the
/// download and issues its requests (<see cref="NextRequest"/> is the swarm loop's). It leases
/// the download to one connection, whose receive loop alone copies blocks in, each copy
/// bracketed by <see cref="TryBeginFill"/> and <see cref="EndFill"/>. The swarm loop takes a
/// lease back with <see cref="TryRevoke"/>, which waits out a copy in progress and fails once
/// the piece was received whole: from then on the receive loop owns it (hash, then the disk
/// writer, which posts it back in <see cref="SwarmEvent.PieceStored"/>; a failed piece goes
/// back in a <see cref="PeerEvent"/>). Only the swarm loop returns buffers to the pool, except
/// the disk writer on a storage failure or when stopping. <see cref="Compressed"/> moves with
/// the download, then to the relay cache.
/// </remarks>
internal sealed class PieceDownload
{
    public const int BlockSize = 16 * 1024;

    // The lease: 0 the swarm loop holds it, c leased to connection c, -c connection c copies a
    // block in right now, Whole received whole (the receive loop owns it).
    private const int Whole = int.MinValue;

    private readonly ulong[] _received;
    private int _lease;
    private int _nextRequest;
    private int _receivedCount;
    private int _relayWaiting;

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

    /// <summary>Next block to request (written by the swarm loop, read by the receive loop).</summary>
    public int NextRequest
    {
        get => Volatile.Read(ref _nextRequest);
        set => Volatile.Write(ref _nextRequest, value);
    }

    /// <summary>Blocks received (written by the receive loop, read by the swarm loop).</summary>
    public int ReceivedCount => Volatile.Read(ref _receivedCount);

    /// <summary>Fetched as plain blocks from a peer that speaks ezio_zpiece (its pieces do not compress).</summary>
    public bool AsBlocks { get; set; }

    /// <summary>Nothing requested and nothing received yet: the piece can still move to another peer.</summary>
    public bool IsUntouched => NextRequest == 0 && ReceivedCount == 0;

    /// <summary>In compressed mode: not asked for yet, and to be asked for whole.</summary>
    public bool WaitsWhole => NextRequest == 0 && !AsBlocks;

    /// <summary>
    /// Requests wait on the relay board for blocks of this piece not yet in (swarm loop
    /// writes): the receive loop then reports each block it copies in. Set with a full fence,
    /// as the receive loop marks a block, so one of the two always sees the other.
    /// </summary>
    public bool RelayWaiting
    {
        get => Volatile.Read(ref _relayWaiting) != 0;
        set => Interlocked.Exchange(ref _relayWaiting, value ? 1 : 0);
    }

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
        data.CopyTo(Buffer.Span.Slice(begin, (int)data.Length));
        // Marked after the copy (a full fence): whoever sees the bit sees the bytes (the relay
        // board reads them from the swarm loop).
        Interlocked.Or(ref word, mask);
        Volatile.Write(ref _receivedCount, _receivedCount + 1);
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
        Volatile.Write(ref _receivedCount, BlockCount);
    }

    /// <summary>The compressed form as received (its only copy), kept to relay it without recompressing.</summary>
    public byte[]? Compressed { get; set; }

    public PieceEncoding CompressedEncoding { get; set; }

    /// <summary>Block <paramref name="block"/> is in the buffer (any thread: the bit is set after the copy).</summary>
    public bool IsReceived(int block) => (Volatile.Read(ref _received[block >> 6]) & (1UL << (block & 63))) != 0;

    /// <summary>Swarm loop: hands the download to connection <paramref name="connection"/> (held by the loop until now).</summary>
    public void Lease(int connection)
    {
        if (Interlocked.CompareExchange(ref _lease, connection, 0) != 0)
        {
            throw new InvalidOperationException($"piece {Index} is leased already.");
        }
    }

    /// <summary>Receive loop of <paramref name="connection"/>: may it copy a block in now?</summary>
    public bool TryBeginFill(int connection) => Interlocked.CompareExchange(ref _lease, -connection, connection) == connection;

    /// <summary>Receive loop: the copy ended; <paramref name="whole"/> keeps the piece (received whole).</summary>
    public void EndFill(int connection, bool whole) => Volatile.Write(ref _lease, whole ? Whole : connection);

    /// <summary>
    /// Swarm loop: takes the download back from connection <paramref name="connection"/>,
    /// waiting out a block copy in progress. False when the piece was received whole meanwhile
    /// (its receive loop reports it) or is not leased there.
    /// </summary>
    public bool TryRevoke(int connection)
    {
        var spin = new SpinWait();
        while (true)
        {
            var lease = Interlocked.CompareExchange(ref _lease, 0, connection);
            if (lease == connection)
            {
                return true;
            }
            if (lease != -connection)
            {
                return false;
            }
            spin.SpinOnce();
        }
    }

    /// <summary>Whether connection <paramref name="connection"/> still holds the lease (filling or not).</summary>
    public bool IsLeasedTo(int connection)
    {
        var lease = Volatile.Read(ref _lease);
        return lease == connection || lease == -connection;
    }
}
