namespace Ezio.BitTorrent.Engine;

internal enum PeerEventKind
{
    Choke,
    Unchoke,
    Interested,
    NotInterested,
    Have,
    Bitfield,
    HaveAll,
    HaveNone,
    /// <summary>The peer will not send this piece (choke, reject): the download goes back.</summary>
    Released,
    /// <summary>A whole piece arrived and was hashed; <see cref="PeerEvent.Ok"/> tells the verdict.</summary>
    Hashed,
    /// <summary>A verified piece never reached the disk queue (the connection closed first).</summary>
    Abandoned,
    /// <summary>The peer's queue of unrequested blocks runs low.</summary>
    NeedWork,
}

internal readonly record struct PeerEvent(PeerEventKind Kind, int Index = 0, bool Ok = false, byte[]? Data = null, PieceDownload? Download = null);

/// <summary>
/// What one receive-loop pass learned, handed to the swarm loop in one post, so the swarm
/// loop hears from a connection once per socket read, not once per message.
/// </summary>
internal sealed class PeerBatch
{
    public PeerBatch(PeerConnection peer) => Peer = peer;

    public PeerConnection Peer { get; }

    public List<PeerEvent> Events { get; } = new(4);
}
