namespace Ezio.BitTorrent.Compression;

/// <summary>
/// Recently received compressed pieces, kept so that a client relays them to its peers
/// without compressing again. Bounded by bytes; the oldest entries leave first.
/// Thread-safe (one lock per piece-sized operation, never per block).
/// </summary>
internal sealed class CompressedPieceCache
{
    private readonly long _maxBytes;
    private readonly Dictionary<int, (byte[] Data, PieceEncoding Encoding)> _entries = new();
    private readonly Queue<int> _order = new();
    private long _bytes;

    public CompressedPieceCache(long maxBytes) => _maxBytes = maxBytes;

    public void Add(int index, ReadOnlySpan<byte> data, PieceEncoding encoding)
    {
        if (data.Length > _maxBytes / 4)
        {
            return;
        }
        var copy = data.ToArray();
        lock (_entries)
        {
            if (_entries.ContainsKey(index))
            {
                return;
            }
            _entries[index] = (copy, encoding);
            _order.Enqueue(index);
            _bytes += copy.Length;
            while (_bytes > _maxBytes && _order.TryDequeue(out var old))
            {
                if (_entries.Remove(old, out var removed))
                {
                    _bytes -= removed.Data.Length;
                }
            }
        }
    }

    public bool TryGet(int index, out byte[] data, out PieceEncoding encoding)
    {
        lock (_entries)
        {
            if (_entries.TryGetValue(index, out var entry))
            {
                (data, encoding) = entry;
                return true;
            }
        }
        data = [];
        encoding = default;
        return false;
    }
}
