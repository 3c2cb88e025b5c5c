using Ezio.BitTorrent.PeerWire;

namespace Ezio.TestKit.PeerWire;

/// <summary>One received peer message with its payload copied out of the connection's buffer.</summary>
public readonly record struct WireMessage(MessageId Id, int Index, int Begin, int Length, byte ExtendedId, byte[] Payload);
