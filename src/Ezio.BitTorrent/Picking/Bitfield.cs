using System.Numerics;

namespace Ezio.BitTorrent.Picking;

/// <summary>
/// One bit per piece, piece 0 in the high bit of the first byte (BEP 3 'bitfield').
/// </summary>
/// <remarks>
/// Mutated by one owner (the swarm loop); <see cref="this[int]"/> may be read from other
/// threads, which then see a bit either before or after it was set, never a torn word.
/// </remarks>
public sealed class Bitfield
{
    private readonly ulong[] _words;
    private int _trueCount;

    public Bitfield(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _words = new ulong[(length + 63) >> 6];
    }

    public int Length { get; }

    public int TrueCount => Volatile.Read(ref _trueCount);

    public bool AllTrue => TrueCount == Length;

    public bool AllFalse => TrueCount == 0;

    /// <summary>Bytes needed on the wire for <paramref name="length"/> pieces.</summary>
    public static int ByteLength(int length) => (length + 7) >> 3;

    public bool this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Length)
            {
                throw new ArgumentOutOfRangeException(nameof(index));
            }
            return (Volatile.Read(ref _words[index >> 6]) & (1UL << (index & 63))) != 0;
        }
    }

    /// <summary>Number of 64-bit words; word <c>w</c> holds pieces 64w to 64w + 63, piece 64w in bit 0.</summary>
    internal int WordCount => _words.Length;

    /// <summary>Word <paramref name="w"/> (see <see cref="WordCount"/>); bits past the last piece are clear.</summary>
    internal ulong Word(int w) => Volatile.Read(ref _words[w]);

    /// <summary>Sets a bit; returns true when it was clear before.</summary>
    public bool Set(int index)
    {
        ref var word = ref _words[index >> 6];
        var mask = 1UL << (index & 63);
        if ((word & mask) != 0)
        {
            return false;
        }
        Interlocked.Or(ref word, mask);
        Interlocked.Increment(ref _trueCount);
        return true;
    }

    /// <summary>Clears a bit; returns true when it was set before.</summary>
    public bool Clear(int index)
    {
        ref var word = ref _words[index >> 6];
        var mask = 1UL << (index & 63);
        if ((word & mask) == 0)
        {
            return false;
        }
        Interlocked.And(ref word, ~mask);
        Interlocked.Decrement(ref _trueCount);
        return true;
    }

    public void SetAll()
    {
        for (var i = 0; i < Length; i++)
        {
            Set(i);
        }
    }

    /// <summary>Number of pieces set here and clear in <paramref name="other"/>.</summary>
    public int CountAndNot(Bitfield other)
    {
        var count = 0;
        for (var i = 0; i < _words.Length; i++)
        {
            count += BitOperations.PopCount(_words[i] & ~other._words[i]);
        }
        return count;
    }

    /// <summary>
    /// Reads a wire bitfield. Returns false when the length is wrong or a spare bit past the
    /// last piece is set (BEP 3: "Clients should drop the connection if they receive bitfields
    /// that are not of the correct size, or if the bitfield has any of the spare bits set").
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> wire, int length, out Bitfield bitfield)
    {
        bitfield = new Bitfield(length);
        if (wire.Length != ByteLength(length))
        {
            return false;
        }
        var spare = ByteLength(length) * 8 - length;
        if (spare > 0 && (wire[^1] & ((1 << spare) - 1)) != 0)
        {
            return false;
        }
        for (var i = 0; i < length; i++)
        {
            if ((wire[i >> 3] & (0x80 >> (i & 7))) != 0)
            {
                bitfield.Set(i);
            }
        }
        return true;
    }

    public void WriteTo(Span<byte> wire)
    {
        wire[..ByteLength(Length)].Clear();
        for (var i = 0; i < Length; i++)
        {
            if (this[i])
            {
                wire[i >> 3] |= (byte)(0x80 >> (i & 7));
            }
        }
    }

    /// <summary>'1' for set, '0' for clear; handy in tests and logs.</summary>
    public override string ToString()
    {
        var chars = new char[Length];
        for (var i = 0; i < Length; i++)
        {
            chars[i] = this[i] ? '1' : '0';
        }
        return new string(chars);
    }

    public static Bitfield FromString(string bits)
    {
        var bitfield = new Bitfield(bits.Length);
        for (var i = 0; i < bits.Length; i++)
        {
            if (bits[i] == '1')
            {
                bitfield.Set(i);
            }
        }
        return bitfield;
    }
}
