using System.Net;

namespace Ezio.BitTorrent.Engine;

// Messages the swarm loop drains. Per-block traffic never gets here: a connection posts at
// most one PeerBatch per socket read, the disk writer one event per piece.

internal sealed record PeerConnectedEvent(PeerConnection Peer);

internal sealed record PeerClosedEvent(PeerConnection Peer);

internal sealed record PieceStoredEvent(int Index, PieceDownload Download);

internal sealed record StorageFailedEvent(Exception Error);

internal sealed record AddPeersEvent(IReadOnlyList<IPEndPoint> Peers);

internal sealed record DialFailedEvent(IPEndPoint EndPoint);

internal sealed record TickEvent;

internal sealed record RecheckedEvent((int Index, bool Ok)[] Pieces, bool Done);

internal sealed record FlushedEvent(Exception? Error);
