namespace Ezio.Sim;

/// <summary>
/// A plain bit set of piece indices for one simulated host's view of a peer. Unlike the
/// engine's <see cref="Ezio.BitTorrent.Picking.Bitfield"/> it is single-threaded (no
/// interlocked operations) and exposes its words, so a pick can intersect two sets 64 pieces
/// at a time.
/// </summary>
public sealed class PieceSet
{
    private readonly ulong[] _words;

    public PieceSet(int length)
    {
        Length = length;
        _words = new ulong[(length + 63) >> 6];
    }

    public int Length { get; }

    public int Count { get; private set; }

    public bool IsFull => Count == Length;

    internal ulong[] Words => _words;

    public bool this[int index] => (_words[index >> 6] & (1UL << (index & 63))) != 0;

    /// <summary>Sets the bit; false when it was already set.</summary>
    public bool Add(int index)
    {
        ref var word = ref _words[index >> 6];
        var mask = 1UL << (index & 63);
        if ((word & mask) != 0)
        {
            return false;
        }
        word |= mask;
        Count++;
        return true;
    }

    /// <summary>Clears the bit; false when it was already clear.</summary>
    public bool Remove(int index)
    {
        ref var word = ref _words[index >> 6];
        var mask = 1UL << (index & 63);
        if ((word & mask) == 0)
        {
            return false;
        }
        word &= ~mask;
        Count--;
        return true;
    }

    public void AddAll()
    {
        for (var i = 0; i < Length; i++)
        {
            Add(i);
        }
    }
}
