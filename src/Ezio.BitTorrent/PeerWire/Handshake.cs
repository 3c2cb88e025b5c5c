using Ezio.BitTorrent.Metainfo;

namespace Ezio.BitTorrent.PeerWire;

/// <summary>
/// The BEP 3 handshake.
/// <code>
/// +------+---------------------+-------------+---------------+-------------+
/// | 0x13 | "BitTorrent protocol" | reserved: 8 | info_hash: 20 | peer_id: 20 |
/// +------+---------------------+-------------+---------------+-------------+
/// reserved[5] &amp; 0x10: extension protocol (BEP 10); reserved[7] &amp; 0x04: fast extension (BEP 6)
/// </code>
/// </summary>
public readonly record struct Handshake(InfoHash InfoHash, ReadOnlyMemory<byte> PeerId, bool SupportsExtensions, bool SupportsFast)
{
    public const int Length = 68;

    private static ReadOnlySpan<byte> Protocol => "\u0013BitTorrent protocol"u8;

    public void WriteTo(Span<byte> destination)
    {
        Protocol.CopyTo(destination);
        var reserved = destination.Slice(20, 8);
        reserved.Clear();
        if (SupportsExtensions)
        {
            reserved[5] |= 0x10;
        }
        if (SupportsFast)
        {
            reserved[7] |= 0x04;
        }
        InfoHash.CopyTo(destination.Slice(28, 20));
        PeerId.Span.CopyTo(destination.Slice(48, 20));
    }

    /// <summary>Parses 68 bytes; throws <see cref="PeerProtocolException"/> when they are not a handshake.</summary>
    public static Handshake Parse(ReadOnlySpan<byte> source)
    {
        if (source.Length < Length || !source[..20].SequenceEqual(Protocol))
        {
            throw new PeerProtocolException(PeerProtocolError.BadHandshake, "the peer did not send a BitTorrent handshake.");
        }
        var reserved = source.Slice(20, 8);
        return new Handshake(
            new InfoHash(source.Slice(28, 20)),
            source.Slice(48, 20).ToArray(),
            (reserved[5] & 0x10) != 0,
            (reserved[7] & 0x04) != 0);
    }
}
