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

    /// <summary>Whether a piece that travels in this many bytes would be kept at all.</summary>
    public bool Keeps(long length) => length <= _maxBytes / 4;

    /// <summary>Keeps a copy of <paramref name="data"/>.</summary>
    public void Add(int index, ReadOnlySpan<byte> data, PieceEncoding encoding)
    {
        if (Keeps(data.Length))
        {
            Adopt(index, data.ToArray(), encoding);
        }
    }

    /// <summary>Keeps <paramref name="copy"/> itself: the caller hands it over and must not write to it again.</summary>
    public void Adopt(int index, byte[] copy, PieceEncoding encoding)
    {
        if (!Keeps(copy.Length))
        {
            return;
        }
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
