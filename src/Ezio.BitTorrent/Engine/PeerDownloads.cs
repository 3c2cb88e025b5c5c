using Ezio.BitTorrent.Picking;
using Ezio.BitTorrent.PeerWire;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// The pieces one peer fetches for us, and the requests that go out for them: plain blocks
/// up to the request budget, or whole compressed pieces (ezio_zpiece) while that pays off.
/// </summary>
/// <remarks>
/// Owned by the swarm loop: every piece is assigned, topped up, cancelled and taken back
/// here, on that one thread. Each download is leased to the connection's receive loop, which
/// only copies blocks in (see <see cref="PieceDownload"/>); a piece received whole stays in
/// the list, counted as this peer's, until the swarm loop hears its hash verdict.
/// </remarks>
internal sealed class PeerDownloads
{
    private readonly PeerConnection _peer;
    private readonly List<PieceDownload> _downloads = new();
    private readonly int _blocksPerPiece;
    private int _zProbe;

    public PeerDownloads(PeerConnection peer, int pieceLength)
    {
        _peer = peer;
        _blocksPerPiece = (pieceLength + PieceDownload.BlockSize - 1) / PieceDownload.BlockSize;
    }

    /// <summary>Requests in flight after the last <see cref="TopUp"/>.</summary>
    public int Outstanding { get; private set; }

    /// <summary>Pieces assigned whose hash verdict has not come back.</summary>
    public int Count => _downloads.Count;

    /// <summary>Bytes of assigned pieces not yet requested.</summary>
    public int UnrequestedBytes
    {
        get
        {
            var total = 0;
            foreach (var download in _downloads)
            {
                total += download.UnrequestedBytes;
            }
            return total;
        }
    }

    // Compressed mode requests whole pieces: two in flight at least so the link never idles
    // for a round trip, more for a fast peer, counted in wire bytes (16 at most; docs/engine.md).
    private int ZBudgetBlocks =>
        Math.Clamp((int)(_peer.Budget.RequestBlocks / _peer.ZWireRatio), 2 * _blocksPerPiece, 16 * _blocksPerPiece);

    private bool CompressedMode => _peer.ZRemoteId != 0 && _peer.CompressedPaysOff;

    /// <summary>
    /// False while a compressed-mode peer has no room to request another whole piece: giving
    /// it one now would only park the piece.
    /// </summary>
    public bool CanTakeMore
    {
        get
        {
            if (!CompressedMode)
            {
                return true;
            }
            var outstanding = 0;
            var unrequestedPieces = 0;
            foreach (var download in _downloads)
            {
                outstanding += download.NextRequest - download.ReceivedCount;
                unrequestedPieces += download.WaitsWhole ? 1 : 0;
            }
            return unrequestedPieces == 0 && outstanding + _blocksPerPiece <= ZBudgetBlocks;
        }
    }

    /// <summary>The indices of the pieces here, in progress or received and not yet heard of.</summary>
    public List<int> Indices()
    {
        var indices = new List<int>(_downloads.Count + 4);
        foreach (var download in _downloads)
        {
            indices.Add(download.Index);
        }
        return indices;
    }

    /// <summary>Takes a piece on (leased to the connection) and sends what requests fit.</summary>
    public void Assign(PieceDownload download)
    {
        download.Lease(_peer.Id);
        _peer.Hand(download, restartTimeout: _downloads.Count == 0);
        _downloads.Add(download);
        TopUp();
    }

    /// <summary>The hash verdict of a piece received whole came back: it is no longer this peer's.</summary>
    public void Heard(PieceDownload download) => _downloads.Remove(download);

    /// <summary>
    /// Takes a piece back (endgame: another peer delivered it), cancelling its requests.
    /// Null when this peer no longer fetches it, or received it whole (its verdict follows).
    /// </summary>
    public PieceDownload? Cancel(int index)
    {
        if (TakeBack(index, untouchedOnly: false) is not { } download)
        {
            return null;
        }
        RequestsDropped();
        for (var block = 0; block < download.NextRequest; block++)
        {
            if (!download.IsReceived(block))
            {
                _peer.Send(Outgoing.Cancel(index, block * PieceDownload.BlockSize, download.BlockLength(block)));
            }
        }
        return download;
    }

    /// <summary>Takes back the piece the peer refused (reject); null when it is not here or was received whole.</summary>
    public PieceDownload? Refused(int index) => TakeBack(index, untouchedOnly: false);

    /// <summary>
    /// A piece in <paramref name="has"/> and not in <paramref name="exclude"/> assigned here of
    /// which no block was requested yet, or -1; <paramref name="waiting"/> is the bytes of all
    /// pieces here still unrequested.
    /// </summary>
    public int FindUnstarted(Bitfield has, List<int> exclude, out int waiting)
    {
        waiting = 0;
        var found = -1;
        foreach (var download in _downloads)
        {
            waiting += download.UnrequestedBytes;
            if (found < 0 && download.IsUntouched && has[download.Index] && !exclude.Contains(download.Index))
            {
                found = download.Index;
            }
        }
        return found;
    }

    /// <summary>Takes back an assigned piece with nothing requested yet; null when it is not here.</summary>
    public PieceDownload? TakeUnstarted(int index) => TakeBack(index, untouchedOnly: true);

    /// <summary>
    /// Takes back every piece the connection still fills (choke, close); those received whole
    /// stay: their receive loop reports them.
    /// </summary>
    public List<PieceDownload> TakeAll()
    {
        var taken = new List<PieceDownload>(_downloads.Count);
        for (var i = _downloads.Count - 1; i >= 0; i--)
        {
            var download = _downloads[i];
            if (download.TryRevoke(_peer.Id))
            {
                _downloads.RemoveAt(i);
                taken.Add(download);
            }
        }
        taken.Reverse();
        return taken;
    }

    /// <summary>
    /// Sends requests up to the budget. Returns true when the queue of assigned but
    /// unrequested bytes ran low and the peer should be given more pieces.
    /// </summary>
    public bool TopUp()
    {
        if (_peer.PeerChoking || _peer.IsClosed)
        {
            Outstanding = 0;
            return false;
        }
        var outstanding = 0;
        var unrequested = 0;
        foreach (var download in _downloads)
        {
            outstanding += download.NextRequest - download.ReceivedCount;
        }
        var budget = Math.Min(_peer.MaxOutstanding, _peer.Budget.RequestBlocks) - outstanding;
        var sent = 0;
        var zId = _peer.ZRemoteId;
        // Whole compressed pieces: one in flight for a slow peer, more for one whose rate
        // covers them; a piece is only assigned when it can be requested at once, so no
        // piece waits in a slow peer's queue while faster peers could send it.
        var zBudget = 0;
        if (zId != 0)
        {
            zBudget = ZBudgetBlocks;
            var paysOff = _peer.CompressedPaysOff;
            foreach (var download in _downloads)
            {
                if (!download.WaitsWhole)
                {
                    continue;
                }
                if (!paysOff && ++_zProbe % 8 != 0)
                {
                    download.AsBlocks = true;
                    continue;
                }
                if (outstanding == 0 || outstanding + download.BlockCount <= zBudget)
                {
                    _peer.Send(Outgoing.Extended(zId, ZPieceMessage.EncodeRequest(ZPieceMessage.Request, download.Index)));
                    download.NextRequest = download.BlockCount;
                    outstanding += download.BlockCount;
                }
            }
        }
        foreach (var download in _downloads)
        {
            // In compressed mode only pieces that were begun as blocks continue as blocks.
            if (zId != 0 && download.WaitsWhole)
            {
                unrequested += download.UnrequestedBytes;
                continue;
            }
            while (budget > 0 && download.NextRequest < download.BlockCount)
            {
                var block = download.NextRequest;
                download.NextRequest = block + 1;
                if (download.IsReceived(block))
                {
                    continue;
                }
                _peer.Send(Outgoing.Request(download.Index, block * PieceDownload.BlockSize, download.BlockLength(block)));
                budget--;
                sent++;
            }
            unrequested += download.UnrequestedBytes;
        }
        Outstanding = outstanding + sent;
        var room = !CompressedMode || outstanding + _blocksPerPiece <= zBudget;
        return room && unrequested <= _peer.Budget.QueueBytes;
    }

    // Requests counted in flight will not all come: the next block that does comes back to
    // the swarm loop, which would otherwise wait for a quarter of requests never answered.
    private void RequestsDropped() => _peer.Receiver.ToppedUp(_peer.Receiver.Accepted, 0);

    // The one way a piece leaves this peer other than whole: found, its lease taken back from
    // the receive loop (which fails once the piece arrived whole), out of the list.
    private PieceDownload? TakeBack(int index, bool untouchedOnly)
    {
        foreach (var download in _downloads)
        {
            if (download.Index != index)
            {
                continue;
            }
            if ((untouchedOnly && !download.IsUntouched) || !download.TryRevoke(_peer.Id))
            {
                return null;
            }
            _downloads.Remove(download);
            return download;
        }
        return null;
    }
}
