using Ezio.BitTorrent.Picking;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// What to ask whom: hands each peer whole pieces (a started piece first, then the rarest it
/// has), moves an unstarted piece from a busy peer to an idle one when nothing else is left
/// (take-over), fetches the last few pieces twice (endgame) and keeps the started pieces of
/// peers that left, to be finished by the next peer that has them. While
/// <see cref="HoldRouted"/> is set (a seed serves us), a routed peer is given no endgame
/// duplicate: each copy of a piece crossing a router is a full piece on a slow link.
/// </summary>
/// <remarks>
/// Owned by the swarm loop, as are the picker and the pool's rent and return calls it makes.
/// A download moves to a peer on <see cref="IRequestPeer.Assign"/> and comes back through
/// <see cref="Release"/>, <see cref="Won"/> or the disk writer.
/// </remarks>
internal sealed class Requester
{
    // A peer's queue holds at most this many pieces; one while it has sent a bad piece, so
    // it cannot pour a whole queue of garbage in before it is banned.
    private const int MaxPiecesPerPeer = 64;

    private readonly PiecePicker _picker;
    private readonly PieceBufferPool _pool;
    private readonly Func<int, int> _pieceSize;
    // Told of every download that stops being filled (given back or parked), before its buffer
    // goes back to the pool: the relay board must stop serving from it.
    private readonly Action<PieceDownload>? _leaving;
    // Started pieces whose peer gave them back, by index.
    private readonly Dictionary<int, PieceDownload> _partials = [];
    private int _takenOver;

    public Requester(PiecePicker picker, PieceBufferPool pool, Func<int, int> pieceSize, Action<PieceDownload>? leaving = null)
    {
        _picker = picker;
        _pool = pool;
        _pieceSize = pieceSize;
        _leaving = leaving;
    }

    /// <summary>Pieces moved from a busy peer to an idle one before any block was requested (read by any thread).</summary>
    public int TakenOver => Volatile.Read(ref _takenOver);

    public int PartialCount => _partials.Count;

    /// <summary>Routed peers get no endgame duplicates (set by the swarm loop while we download and a seed serves us).</summary>
    public bool HoldRouted { get; set; }

    /// <summary>Whether the pool has no buffer left: filling more peers now would find none.</summary>
    public bool OutOfBuffers => _pool.Rented >= _pool.MaxBuffers;

    /// <summary>Hands a peer whole pieces until its queue of unrequested blocks is deep enough.</summary>
    public void Fill(IRequestPeer peer, IReadOnlyList<IRequestPeer> peers, bool downloading)
    {
        peer.Hungry = false;
        if (peer.IsClosed || peer.PeerChoking || !peer.AmInterested || !downloading)
        {
            return;
        }
        var remote = peer.RemoteBitfield;
        // One snapshot per fill, not one question to the peer per candidate piece.
        var fetching = peer.FetchingIndices();
        bool Fetching(int i) => fetching.Contains(i);
        var maxPieces = peer.HashFailures > 0 ? 1 : MaxPiecesPerPeer;
        while (peer.UnrequestedBytes <= peer.QueueTargetBytes && peer.DownloadCount < maxPieces && peer.CanTakeMore)
        {
            if (_partials.Count > 0 && TryAssignPartial(peer, fetching))
            {
                continue;
            }
            var index = _picker.Pick(remote, Fetching, endgame: false);
            var inPart = false;
            if (index < 0 && peer.RemotePartial is { AllFalse: false } partial)
            {
                // A piece the peer is filling: its blocks come as they reach it.
                index = _picker.Pick(partial, Fetching, endgame: false);
                inPart = index >= 0;
            }
            if (index < 0 && TryTakeOver(peer, peers, fetching))
            {
                continue;
            }
            // Endgame (fetching a piece twice) only for the last few pieces: earlier, every
            // piece is owned merely because queues are deep, and duplicates would waste the
            // LAN's capacity.
            if (index < 0 && _picker.MissingCount <= Math.Max(4, peers.Count) && _picker.InEndgame && !(HoldRouted && peer.IsRouted))
            {
                index = _picker.Pick(remote, Fetching, endgame: true);
            }
            if (index < 0)
            {
                peer.Hungry = true;
                return;
            }
            if (!_pool.TryRent(out var buffer))
            {
                // Parked partial pieces must not starve live downloads of buffers.
                if (!DropParked())
                {
                    peer.Hungry = true;
                    return;
                }
                continue;
            }
            _picker.AddOwner(index);
            fetching.Add(index);
            // Never asked for whole (ezio_zpiece): the peer cannot send what it does not hold whole.
            peer.Assign(new PieceDownload(index, _pieceSize(index), buffer) { AsBlocks = inPart });
        }
    }

    /// <summary>Fills every hungry peer, until the buffers run out.</summary>
    public void RetryHungry(IReadOnlyList<IRequestPeer> peers, bool downloading)
    {
        foreach (var peer in peers)
        {
            if (peer.Hungry)
            {
                Fill(peer, peers, downloading);
                if (OutOfBuffers)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// A peer gave a piece back (choke, reject, disconnect). Blocks already received are kept
    /// and the piece is finished first by the next peer that has it, unless nothing was
    /// received.
    /// </summary>
    public void Release(PieceDownload download)
    {
        _leaving?.Invoke(download);
        var index = download.Index;
        if (download.IsPartial && !_picker.Have[index] && !_picker.IsBusy(index) && !_partials.ContainsKey(index))
        {
            download.RestartRequests();
            _partials[index] = download;
            return;
        }
        _picker.RemoveOwner(index);
        _pool.Return(download.Buffer);
    }

    /// <summary>
    /// A copy of the piece verified (from <paramref name="winner"/>, or a web seed when null):
    /// a parked partial copy is dropped and every other peer fetching it is cancelled (endgame).
    /// </summary>
    public void Won(int index, IRequestPeer? winner, IReadOnlyList<IRequestPeer> peers)
    {
        DropPartial(index);
        if (_picker.Owners(index) <= 0)
        {
            return;
        }
        foreach (var other in peers)
        {
            if (other != winner && other.Cancel(index) is { } cancelled)
            {
                _picker.RemoveOwner(index);
                _leaving?.Invoke(cancelled);
                _pool.Return(cancelled.Buffer);
            }
        }
    }

    /// <summary>Gives back the buffers of parked pieces (the session stops).</summary>
    public void Clear()
    {
        foreach (var partial in _partials.Values)
        {
            _pool.Return(partial.Buffer);
        }
        _partials.Clear();
    }

    /// <summary>
    /// Gives up one parked partial piece (owner and buffer back): when live downloads need its
    /// buffer, or when a web seed (which fetches whole pieces) finds nothing else while the peer
    /// that began it is gone. False when nothing is parked.
    /// </summary>
    public bool DropParked()
    {
        if (_partials.Count == 0)
        {
            return false;
        }
        DropPartial(_partials.Keys.First());
        return true;
    }

    private void DropPartial(int index)
    {
        if (_partials.Remove(index, out var partial))
        {
            _picker.RemoveOwner(index);
            _leaving?.Invoke(partial);
            _pool.Return(partial.Buffer);
        }
    }

    private bool TryAssignPartial(IRequestPeer peer, List<int> fetching)
    {
        foreach (var (index, partial) in _partials)
        {
            if (peer.RemoteBitfield[index] && !fetching.Contains(index))
            {
                _partials.Remove(index);
                fetching.Add(index);
                peer.Assign(partial);
                return true;
            }
        }
        return false;
    }

    // Nothing is left that no peer fetches: moves to this peer a piece it has that another
    // peer was given but has not begun (a busy uplink holds it while this one is free). The
    // peer with the most waiting work gives first.
    private bool TryTakeOver(IRequestPeer peer, IReadOnlyList<IRequestPeer> peers, List<int> fetching)
    {
        IRequestPeer? from = null;
        var index = -1;
        var most = 0;
        foreach (var other in peers)
        {
            if (other == peer || other.IsClosed)
            {
                continue;
            }
            var candidate = other.FindUnstarted(peer.RemoteBitfield, fetching, out var waiting);
            if (candidate >= 0 && waiting > most)
            {
                from = other;
                index = candidate;
                most = waiting;
            }
        }
        if (from?.TakeUnstarted(index) is not { } download)
        {
            return false;
        }
        Interlocked.Increment(ref _takenOver);
        fetching.Add(index);
        peer.Assign(download);
        return true;
    }
}
