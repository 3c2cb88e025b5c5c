namespace Ezio.BitTorrent.Engine;

/// <summary>
/// The pieces we have, as the receive loops see them when they answer requests. The swarm
/// loop sets a bit once the piece is stored (bits are never cleared); any thread reads.
/// A read that misses a bit set a moment ago only rejects one request the peer may repeat.
/// </summary>
internal sealed class HaveSet
{
    private readonly ulong[] _words;

    public HaveSet(int pieceCount) => _words = new ulong[(pieceCount + 63) >> 6];

    // Interlocked: receive loops read these words while the swarm loop sets bits.
    public bool this[int index] => (Volatile.Read(ref _words[index >> 6]) & (1UL << (index & 63))) != 0;

    public void Set(int index) => Interlocked.Or(ref _words[index >> 6], 1UL << (index & 63));
}
