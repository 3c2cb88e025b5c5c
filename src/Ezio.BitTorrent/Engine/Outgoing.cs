namespace Ezio.BitTorrent.Engine;

using Ezio.BitTorrent.PeerWire;

/// <summary>
/// One message waiting in a peer's send queue. <see cref="MessageId.Piece"/> means "read
/// this block from storage and send it"; its bytes are read straight into the socket buffer.
/// <see cref="Data"/> carries bitfield or extended payloads (the extended id first).
/// </summary>
internal readonly record struct Outgoing(MessageId Id, int Index = 0, int Begin = 0, int Length = 0, byte[]? Data = null);
