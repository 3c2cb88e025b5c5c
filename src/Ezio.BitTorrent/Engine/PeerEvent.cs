namespace Ezio.BitTorrent.Engine;

internal enum PeerEventKind
{
    Choke,
    Unchoke,
    Interested,
    NotInterested,
    /// <summary><see cref="PeerEvent.Index"/>: the piece.</summary>
    Have,
    /// <summary><see cref="PeerEvent.Data"/>: the bitfield's bytes as received.</summary>
    Bitfield,
    HaveAll,
    HaveNone,
    /// <summary>A piece received whole that never got hashed (the connection closed): the download goes back.</summary>
    Released,
    /// <summary>The peer refused a request of piece <see cref="PeerEvent.Index"/> (reject).</summary>
    Rejected,
    /// <summary>A whole piece arrived and was hashed; <see cref="PeerEvent.Ok"/> tells the verdict.</summary>
    Hashed,
    /// <summary>
    /// A verified piece never reached the disk queue (the connection closed first); its Hashed
    /// event came before, so the connection no longer owns it.
    /// </summary>
    Abandoned,
    /// <summary>A block of a relayed piece was copied in: <see cref="PeerEvent.Download"/>, block <see cref="PeerEvent.Begin"/>.</summary>
    BlockIn,
    /// <summary>A request for a piece we do not have whole (ezio_relay peers): index, begin, length.</summary>
    RelayRequest,
    /// <summary>ezio_relay "ask": the peer wants piece <see cref="PeerEvent.Index"/>'s block list.</summary>
    RelayAsk,
    /// <summary>ezio_relay "list": <see cref="PeerEvent.Data"/> (empty: the peer has none).</summary>
    RelayList,
    /// <summary>ezio_relay "part": the peer fills piece <see cref="PeerEvent.Index"/> and serves its blocks.</summary>
    RelayPart,
    /// <summary>ezio_relay "drop": the peer stopped filling piece <see cref="PeerEvent.Index"/>.</summary>
    RelayDrop,
}

/// <summary>
/// One thing a receive loop learned, in a <see cref="SwarmEvent.FromPeer"/>. A struct: a
/// batch carries several per socket read; an empty batch says blocks arrived (top up). <see cref="Download"/>, when set, moves to the
/// swarm loop with its buffer (Released, Hashed with Ok false, Abandoned).
/// </summary>
internal readonly record struct PeerEvent(PeerEventKind Kind, int Index = 0, bool Ok = false, byte[]? Data = null, PieceDownload? Download = null, int Begin = 0, int Length = 0);
