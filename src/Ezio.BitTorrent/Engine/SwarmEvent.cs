using System.Net;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// What the swarm loop drains: a closed set of cases (the constructor is private), so the
/// dispatcher's switch names every one and throws on anything else. Per-block traffic never
/// gets here: a connection posts at most one <see cref="FromPeer"/> per socket read, the disk
/// writer one event per piece.
/// </summary>
internal abstract record SwarmEvent
{
    private SwarmEvent()
    {
    }

    /// <summary>What one receive-loop pass learned from a peer, in order.</summary>
    public sealed record FromPeer(PeerConnection Peer) : SwarmEvent
    {
        public List<PeerEvent> Events { get; } = new(4);
    }

    /// <summary>A connection finished its handshake and waits to be joined to the swarm.</summary>
    public sealed record PeerConnected(PeerConnection Peer) : SwarmEvent;

    /// <summary>A connection closed; the loop takes back its downloads.</summary>
    public sealed record PeerClosed(PeerConnection Peer) : SwarmEvent;

    /// <summary>The disk writer stored a piece; its buffer comes back to the loop with it.</summary>
    public sealed record PieceStored(PieceDownload Download) : SwarmEvent;

    public sealed record StorageFailed(Exception Error) : SwarmEvent;

    public sealed record AddPeers(IReadOnlyList<IPEndPoint> Peers) : SwarmEvent;

    public sealed record DialFailed(IPEndPoint EndPoint) : SwarmEvent;

    /// <summary>The periodic timer (every 250 ms of the session's clock).</summary>
    public sealed record Tick : SwarmEvent;

    /// <summary>Verdicts of the background recheck, in piece order.</summary>
    public sealed record Rechecked((int Index, bool Ok)[] Pieces, bool Done) : SwarmEvent;

    /// <summary>The storage flush after the last piece ended (null: it succeeded).</summary>
    public sealed record Flushed(Exception? Error) : SwarmEvent;

    /// <summary>A web seed's piece fetch ended.</summary>
    public sealed record WebSeedPiece(WebSeed Seed, PieceDownload Download, WebSeedOutcome Outcome, bool Verified, string? Reason) : SwarmEvent;

    /// <summary>The swarm started: web seeds get their first pieces without waiting for a tick.</summary>
    public sealed record WebSeedsStart : SwarmEvent;

    /// <summary>Completes <paramref name="Reached"/> once every event posted before it was handled.</summary>
    public sealed record Barrier(TaskCompletionSource Reached) : SwarmEvent;
}
