using Ezio.BitTorrent.Storage;

namespace Ezio.TestKit.Storage;

/// <summary>
/// Stores what it is given but hands out every byte inverted: a peer over this storage
/// downloads and verifies normally (verification hashes the received buffer, not storage)
/// yet serves nothing but garbage.
/// </summary>
public sealed class CorruptingStorage : ITorrentStorage
{
    private readonly ITorrentStorage _inner;

    public CorruptingStorage(ITorrentStorage inner) => _inner = inner;

    public long Length => _inner.Length;

    public bool MayHaveData => _inner.MayHaveData;

    public void Read(long offset, Span<byte> destination)
    {
        _inner.Read(offset, destination);
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] ^= 0xFF;
        }
    }

    public void Write(long offset, ReadOnlySpan<byte> data) => _inner.Write(offset, data);

    public void Flush() => _inner.Flush();

    public void Dispose() => _inner.Dispose();
}
