using System.Numerics;

namespace Ezio.Imaging.Partclone;

/// <summary>
/// Which blocks of a partition are used: one bit per block, bit (n % 8) of byte n / 8, LSB
/// first (partclone's bit map order, spec §3.1). Byte maps are converted to this form on read.
/// </summary>
public sealed class BlockMap
{
    private const int RankShift = 12; // one running count per 4096 blocks (512 map bytes)

    private readonly byte[]? _bits;
    private long[]? _rankIndex;

    private BlockMap(long totalBlocks, byte[]? bits, long usedBlocks)
    {
        TotalBlocks = totalBlocks;
        _bits = bits;
        UsedBlocks = usedBlocks;
    }

    public long TotalBlocks { get; }

    public long UsedBlocks { get; }

    /// <summary>A map with every block used (partclone's "no map" mode and dd images).</summary>
    public static BlockMap AllUsed(long totalBlocks) => new(totalBlocks, null, totalBlocks);

    /// <summary>Wraps a bit map (bits past <paramref name="totalBlocks"/> are cleared).</summary>
    public static BlockMap FromBits(byte[] bits, long totalBlocks)
    {
        ArgumentNullException.ThrowIfNull(bits);
        if (bits.LongLength != (totalBlocks + 7) / 8)
        {
            throw new ArgumentException($"A map of {totalBlocks} blocks needs {(totalBlocks + 7) / 8} bytes, not {bits.Length}.", nameof(bits));
        }
        if (totalBlocks % 8 != 0)
        {
            bits[^1] &= (byte)((1 << (int)(totalBlocks % 8)) - 1);
        }
        long used = 0;
        foreach (byte b in bits)
        {
            used += BitOperations.PopCount(b);
        }
        return new BlockMap(totalBlocks, bits, used);
    }

    public bool IsUsed(long block) =>
        (ulong)block < (ulong)TotalBlocks && (_bits is null || (_bits[block >> 3] & (1 << (int)(block & 7))) != 0);

    /// <summary>The first used block at or after <paramref name="from"/>, or -1.</summary>
    public long NextUsed(long from)
    {
        if (from >= TotalBlocks)
        {
            return -1;
        }
        if (_bits is null)
        {
            return from;
        }
        long index = from >> 3;
        int mask = _bits[index] & ~((1 << (int)(from & 7)) - 1);
        while (mask == 0)
        {
            index++;
            if (index >= _bits.LongLength)
            {
                return -1;
            }
            int skip = _bits.AsSpan((int)index).IndexOfAnyExcept((byte)0);
            if (skip < 0)
            {
                return -1;
            }
            index += skip;
            mask = _bits[index];
        }
        long block = (index << 3) + BitOperations.TrailingZeroCount(mask);
        return block < TotalBlocks ? block : -1;
    }

    /// <summary>
    /// How many used blocks come before <paramref name="block"/>: its position among the stored
    /// blocks of the data area when it is used. The first call builds a small index (8 bytes per
    /// 4096 blocks); after that the index is read-only, so concurrent calls are safe.
    /// </summary>
    public long Rank(long block)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(block);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(block, TotalBlocks);
        if (_bits is null)
        {
            return block;
        }
        long[] index = _rankIndex ??= BuildRankIndex(_bits);
        long chunk = block >> RankShift;
        long count = index[chunk];
        int from = (int)(chunk << (RankShift - 3));
        int to = (int)(block >> 3);
        foreach (byte b in _bits.AsSpan(from, to - from))
        {
            count += BitOperations.PopCount(b);
        }
        if ((block & 7) != 0)
        {
            count += BitOperations.PopCount((uint)(_bits[to] & ((1 << (int)(block & 7)) - 1)));
        }
        return count;
    }

    private static long[] BuildRankIndex(byte[] bits)
    {
        int bytesPerChunk = 1 << (RankShift - 3);
        var index = new long[bits.Length / bytesPerChunk + 1];
        long count = 0;
        for (int chunk = 0; chunk < index.Length; chunk++)
        {
            index[chunk] = count;
            int start = chunk * bytesPerChunk;
            foreach (byte b in bits.AsSpan(start, Math.Min(bytesPerChunk, bits.Length - start)))
            {
                count += BitOperations.PopCount(b);
            }
        }
        return index;
    }

    /// <summary>Maximal runs of consecutive used blocks, ascending.</summary>
    public IEnumerable<(long First, long Count)> UsedRuns()
    {
        long block = NextUsed(0);
        while (block >= 0)
        {
            long end = block + 1;
            while (end < TotalBlocks && IsUsed(end))
            {
                end++;
            }
            yield return (block, end - block);
            block = NextUsed(end);
        }
    }
}
