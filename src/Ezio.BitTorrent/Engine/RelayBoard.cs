using System.Buffers;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.PeerWire;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// The pieces we relay while we fill them (ezio_relay, <see cref="RelayMessage"/>): for each,
/// the download whose buffer holds its blocks, its block list once checked against the root
/// the info-hash covers, which blocks have been copied in, and the requests that wait for
/// blocks still to come. A block leaves here only after it matched the list (or the whole
/// piece matched its SHA-1), so a peer that hands us garbage cannot make us pass it on.
/// </summary>
/// <remarks>
/// Owned by the swarm loop, which alone returns piece buffers to the pool: a block is copied
/// out of a buffer here, on that loop, before the buffer can go back. An entry lives while its
/// download is filled by a connection or on its way to the disk; when the download is given
/// back (choke, close, endgame, a failed hash) the entry goes, its waiting requests are
/// rejected and the peers told of it hear "drop".
/// </remarks>
internal sealed class RelayBoard
{
    // Requests one entry holds for blocks not yet in, over every peer: more are rejected.
    private const int MaxWaiting = 4096;

    private readonly Torrent _torrent;
    private readonly Dictionary<int, Entry> _entries = [];

    public RelayBoard(Torrent torrent) => _torrent = torrent;

    /// <summary>Blocks passed on before their piece was whole (read by any thread).</summary>
    public long Relayed => Interlocked.Read(ref _relayed);

    private long _relayed;

    public byte[]? ListOf(int index) => _entries.TryGetValue(index, out var entry) ? entry.List : null;

    /// <summary>
    /// A download is about to be filled by a connection: puts it on the board (or
    /// keeps the entry it has) and returns true when its block list should be asked of the peer
    /// that will fill it.
    /// Called before the download is leased, so every block copied in afterwards is reported.
    /// </summary>
    public bool Start(PieceDownload download)
    {
        var index = download.Index;
        if (_entries.TryGetValue(index, out var entry))
        {
            return entry.Download == download && entry.List is null;
        }
        _entries[index] = new Entry(download);
        return true;
    }

    /// <summary>
    /// A block list arrived for piece <paramref name="index"/>. Returns true when it was the one
    /// we lacked and it matches the root (the caller announces the piece); false when we did not
    /// need it. Throws <see cref="PeerProtocolException"/> when it does not match its root.
    /// </summary>
    public bool TakeList(int index, byte[] list)
    {
        if (list.Length == 0 || !_entries.TryGetValue(index, out var entry) || entry.List is not null)
        {
            return false;
        }
        if (!_torrent.VerifyBlockList(index, list))
        {
            throw new PeerProtocolException(PeerProtocolError.UnexpectedMessage, $"the block list of piece {index} does not match its root.");
        }
        entry.List = list;
        ServeWaiting(entry, block: -1);
        return true;
    }

    /// <summary>Notes peers we told that we fill <paramref name="index"/>, so they hear when we stop.</summary>
    public void Told(int index, PeerConnection peer)
    {
        if (_entries.TryGetValue(index, out var entry))
        {
            entry.Told.Add(peer);
        }
    }

    /// <summary>A block of <paramref name="download"/> was copied in while requests waited (posted by its receive loop after the copy).</summary>
    public void Arrived(PieceDownload download, int block)
    {
        if (_entries.TryGetValue(download.Index, out var entry) && entry.Download == download)
        {
            ServeWaiting(entry, block);
        }
    }

    /// <summary>The piece matched its SHA-1: every block may go, unchecked (its buffer stays until stored).</summary>
    public void Verified(PieceDownload download)
    {
        if (!_entries.TryGetValue(download.Index, out var entry) || entry.Download != download)
        {
            return;
        }
        entry.Verified = true;
        ServeWaiting(entry, block: -1);
    }

    /// <summary>
    /// <paramref name="peer"/> asks for a block of a piece we do not have whole. Serves it, keeps
    /// it until its block comes in, or returns false (the caller rejects): not on the board, not
    /// a whole aligned block, or too many waiting.
    /// </summary>
    public bool Request(PeerConnection peer, int index, int begin, int length)
    {
        if (!_entries.TryGetValue(index, out var entry) || begin % BlockHashes.BlockSize != 0)
        {
            return false;
        }
        var block = begin / BlockHashes.BlockSize;
        if (block >= entry.Download.BlockCount || length != entry.Download.BlockLength(block))
        {
            return false;
        }
        if (entry.List is not null && entry.HasArrived(block))
        {
            return Serve(entry, peer, block);
        }
        if (entry.Waiting.Count >= MaxWaiting)
        {
            return false;
        }
        entry.Waiting.Add((peer, block));
        // Ask the receive loop to report blocks, then look again: a block copied in before
        // the flag was seen is in the received bits now (both sides fence).
        entry.Download.RelayWaiting = true;
        ServeWaiting(entry, block);
        return true;
    }

    /// <summary>
    /// The download leaves the board (given back, failed, or stored when <paramref name="stored"/>):
    /// requests still waiting are rejected, and unless stored the peers we told hear "drop".
    /// </summary>
    public void Forget(PieceDownload download, bool stored = false)
    {
        if (!_entries.TryGetValue(download.Index, out var entry) || entry.Download != download)
        {
            return;
        }
        _entries.Remove(download.Index);
        download.RelayWaiting = false;
        foreach (var (peer, block) in entry.Waiting)
        {
            if (peer.SupportsFast && !peer.IsClosed)
            {
                peer.Send(Outgoing.Reject(download.Index, block * BlockHashes.BlockSize, download.BlockLength(block)));
            }
        }
        if (stored)
        {
            return;
        }
        foreach (var peer in entry.Told)
        {
            if (!peer.IsClosed && peer.RelayRemoteId != 0)
            {
                peer.Send(Outgoing.Extended(peer.RelayRemoteId, RelayMessage.Encode(RelayMessage.Drop, download.Index)));
            }
        }
    }

    /// <summary>A peer left: its waiting requests go.</summary>
    public void Closed(PeerConnection peer)
    {
        foreach (var entry in _entries.Values)
        {
            entry.Waiting.RemoveAll(w => w.Peer == peer);
            entry.Told.Remove(peer);
        }
    }

    private void ServeWaiting(Entry entry, int block)
    {
        if (entry.List is null || entry.Waiting.Count == 0)
        {
            return;
        }
        try
        {
            ServeArrived(entry, block);
        }
        finally
        {
            if (entry.Waiting.Count == 0)
            {
                entry.Download.RelayWaiting = false;
            }
        }
    }

    private void ServeArrived(Entry entry, int block)
    {
        for (var i = 0; i < entry.Waiting.Count; i++)
        {
            var (peer, wanted) = entry.Waiting[i];
            if ((block >= 0 && wanted != block) || !entry.HasArrived(wanted))
            {
                continue;
            }
            entry.Waiting.RemoveAt(i--);
            if (!peer.IsClosed && !Serve(entry, peer, wanted) && peer.SupportsFast)
            {
                peer.Send(Outgoing.Reject(entry.Download.Index, wanted * BlockHashes.BlockSize, entry.Download.BlockLength(wanted)));
            }
        }
    }

    // Copies the block out (checked against the list first, once) and queues it to the peer.
    private bool Serve(Entry entry, PeerConnection peer, int block)
    {
        var download = entry.Download;
        var data = download.Buffer.Span.Slice(block * BlockHashes.BlockSize, download.BlockLength(block));
        if (!entry.Verified && !entry.IsChecked(block))
        {
            if (!BlockHashes.Matches(entry.List, block, data))
            {
                // Its sender lied; the piece will fail its SHA-1 and that peer gets the strike.
                return false;
            }
            entry.MarkChecked(block);
        }
        if (peer.AmChoking || peer.IsClosed)
        {
            return false;
        }
        var copy = ArrayPool<byte>.Shared.Rent(data.Length);
        data.CopyTo(copy);
        if (!peer.QueueCopied(download.Index, block * BlockHashes.BlockSize, data.Length, copy))
        {
            return false;
        }
        Interlocked.Increment(ref _relayed);
        return true;
    }

    private sealed class Entry(PieceDownload download)
    {
        private readonly ulong[] _checked = new ulong[(download.BlockCount + 63) >> 6];

        public PieceDownload Download { get; } = download;

        public byte[]? List { get; set; }

        public bool Verified { get; set; }

        public List<(PeerConnection Peer, int Block)> Waiting { get; } = [];

        public HashSet<PeerConnection> Told { get; } = [];

        // In the buffer: the piece verified (it may have come whole, compressed), or the
        // receive loop marked the block after copying it in.
        public bool HasArrived(int block) => Verified || Download.IsReceived(block);

        public bool IsChecked(int block) => (_checked[block >> 6] & (1UL << (block & 63))) != 0;

        public void MarkChecked(int block) => _checked[block >> 6] |= 1UL << (block & 63);
    }
}
