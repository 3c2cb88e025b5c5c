using Ezio.BitTorrent.Storage;

namespace Ezio.TestKit.Storage;

/// <summary>Passes every call on to the storage it wraps; a test's storage overrides what it changes.</summary>
public abstract class ForwardingStorage(ITorrentStorage inner) : ITorrentStorage
{
    protected ITorrentStorage Inner { get; } = inner;

    public long Length => Inner.Length;

    public bool MayHaveData => Inner.MayHaveData;

    public virtual void Read(long offset, Span<byte> destination) => Inner.Read(offset, destination);

    public virtual void Write(long offset, ReadOnlySpan<byte> data) => Inner.Write(offset, data);

    public virtual void Flush() => Inner.Flush();

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Inner.Dispose();
        }
    }
}
