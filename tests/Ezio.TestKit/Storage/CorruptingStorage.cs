using Ezio.BitTorrent.Storage;

namespace Ezio.TestKit.Storage;

/// <summary>
/// Stores what it is given but hands out every byte inverted: a peer over this storage
/// downloads and verifies normally (verification hashes the received buffer, not storage)
/// yet serves nothing but garbage.
/// </summary>
public sealed class CorruptingStorage(ITorrentStorage inner) : ForwardingStorage(inner)
{
    public override void Read(long offset, Span<byte> destination)
    {
        Inner.Read(offset, destination);
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] ^= 0xFF;
        }
    }
}
