namespace Ezio.BitTorrent.Bencoding;

// BEP 3, "bencoding": https://www.bittorrent.org/beps/bep_0003.html
//
//   integer     i <-?digits> e          i42e   i-7e   i0e     (no "-0", no leading zeros)
//   byte string <length> : <bytes>      4:spam  0:            (length in decimal, no leading zeros)
//   list        l <value>* e            l4:spami42ee
//   dictionary  d (<string> <value>)* e d3:cow3:moo4:spam4:eggse
//
//   +---+--------+---+        +--------+---+-------------+
//   | i | -?1234 | e |        | length | : | length bytes|
//   +---+--------+---+        +--------+---+-------------+
//
// The reader is a forward-only cursor over a span. It never allocates, never indexes past the
// input, and never trusts a length: a string length is checked against the bytes that remain
// while its digits are still being read, so "99999999999999999999:" fails on its own.
// Nesting is bounded by MaxDepth, which also bounds the recursion of SkipValue.

/// <summary>The kind of the next value in a bencoded input.</summary>
public enum BencodeToken
{
    /// <summary>The input is exhausted.</summary>
    None,
    Integer,
    String,
    ListStart,
    DictionaryStart,
    End,
}

/// <summary>Forward-only reader over bencoded bytes (BEP 3).</summary>
/// <remarks>
/// Strict: integers must be canonical, strings must fit the input, containers must close, and
/// nesting deeper than <see cref="MaxDepth"/> fails. Dictionary key order is not enforced here,
/// because real torrents exist with unsorted keys and their info-hash is taken over the bytes as
/// they are (see <see cref="SkipValue"/>). Every failure is a <see cref="BencodeException"/>.
/// </remarks>
public ref struct BencodeReader
{
    /// <summary>Highest <see cref="MaxDepth"/> accepted; SkipValue recurses once per level.</summary>
    public const int MaxAllowedDepth = 1024;

    private readonly ReadOnlySpan<byte> _data;
    private int _depth;

    public BencodeReader(ReadOnlySpan<byte> data, int maxDepth = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDepth, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxDepth, MaxAllowedDepth);
        _data = data;
        Position = 0;
        MaxDepth = maxDepth;
        _depth = 0;
    }

    public int Position { get; private set; }
    public int MaxDepth { get; }
    /// <summary>How many lists/dictionaries are open at <see cref="Position"/>.</summary>
    public readonly int Depth => _depth;
    public readonly bool IsAtEnd => Position >= _data.Length;

    /// <summary>
    /// The kind of the next token, or <see cref="BencodeToken.None"/> at the end of the input;
    /// throws <see cref="BencodeException"/> on a byte that starts none.
    /// </summary>
    public readonly BencodeToken Peek()
    {
        if (IsAtEnd)
        {
            return BencodeToken.None;
        }
        byte b = _data[Position];
        switch (b)
        {
            case (byte)'i':
                return BencodeToken.Integer;
            case (byte)'l':
                return BencodeToken.ListStart;
            case (byte)'d':
                return BencodeToken.DictionaryStart;
            case (byte)'e':
                return BencodeToken.End;
            case >= (byte)'0' and <= (byte)'9':
                return BencodeToken.String;
            default:
                BencodeThrow.Error(BencodeError.UnexpectedByte, Position, $"byte 0x{b:x2} starts no value");
                return BencodeToken.None;
        }
    }

    public long ReadInteger()
    {
        int start = Position;
        Expect((byte)'i', BencodeError.WrongType, "expected an integer");
        bool negative = false;
        if (Position < _data.Length && _data[Position] == (byte)'-')
        {
            negative = true;
            Position++;
        }
        int digitsStart = Position;
        // The magnitude of long.MinValue is one more than long.MaxValue; accumulate as ulong.
        ulong limit = negative ? (ulong)long.MaxValue + 1 : long.MaxValue;
        ulong magnitude = 0;
        while (true)
        {
            if (IsAtEnd)
            {
                BencodeThrow.Error(BencodeError.UnexpectedEnd, Position, "integer is not terminated");
            }
            byte b = _data[Position];
            if (b == (byte)'e')
            {
                break;
            }
            if (b is < (byte)'0' or > (byte)'9')
            {
                BencodeThrow.Error(BencodeError.InvalidInteger, Position, $"byte 0x{b:x2} inside an integer");
            }
            ulong digit = (ulong)(b - '0');
            if (magnitude > (limit - digit) / 10)
            {
                BencodeThrow.Error(BencodeError.InvalidInteger, start, "integer does not fit in 64 bits");
            }
            magnitude = magnitude * 10 + digit;
            Position++;
        }
        int digitCount = Position - digitsStart;
        if (digitCount == 0)
        {
            BencodeThrow.Error(BencodeError.InvalidInteger, start, "integer has no digits");
        }
        // BEP 3: "i-0e is invalid. All encodings with a leading zero, such as i03e, are invalid,
        // other than i0e, which of course corresponds to 0."
        if (_data[digitsStart] == (byte)'0' && (digitCount > 1 || negative))
        {
            BencodeThrow.Error(BencodeError.InvalidInteger, start, "integer is not canonical (leading zero or -0)");
        }
        Position++; // 'e'
        return negative ? unchecked((long)(0 - magnitude)) : (long)magnitude;
    }

    /// <summary>A byte string; the span points into the input.</summary>
    public ReadOnlySpan<byte> ReadString()
    {
        int start = Position;
        if (IsAtEnd)
        {
            BencodeThrow.Error(BencodeError.UnexpectedEnd, Position, "expected a string");
        }
        if (_data[Position] is < (byte)'0' or > (byte)'9')
        {
            BencodeThrow.Error(BencodeError.WrongType, Position, "expected a string length");
        }
        long length = 0;
        while (true)
        {
            if (IsAtEnd)
            {
                BencodeThrow.Error(BencodeError.UnexpectedEnd, Position, "string length is not terminated");
            }
            byte b = _data[Position];
            if (b == (byte)':')
            {
                break;
            }
            if (b is < (byte)'0' or > (byte)'9')
            {
                BencodeThrow.Error(BencodeError.InvalidLength, Position, $"byte 0x{b:x2} inside a string length");
            }
            length = length * 10 + (b - '0');
            // Checked per digit, so the value stays below int.MaxValue and cannot overflow.
            if (length > _data.Length - Position)
            {
                BencodeThrow.Error(BencodeError.InvalidLength, start, "string length exceeds the remaining input");
            }
            Position++;
        }
        int digitCount = Position - start;
        if (_data[start] == (byte)'0' && digitCount > 1)
        {
            BencodeThrow.Error(BencodeError.InvalidLength, start, "string length has a leading zero");
        }
        Position++; // ':'
        if (length > _data.Length - Position)
        {
            BencodeThrow.Error(BencodeError.UnexpectedEnd, start, "string is truncated");
        }
        ReadOnlySpan<byte> value = _data.Slice(Position, (int)length);
        Position += (int)length;
        return value;
    }

    public void ReadListStart()
    {
        Expect((byte)'l', BencodeError.WrongType, "expected a list");
        Enter();
    }

    public void ReadDictionaryStart()
    {
        Expect((byte)'d', BencodeError.WrongType, "expected a dictionary");
        Enter();
    }

    public void ReadEnd()
    {
        if (!TryReadEnd())
        {
            BencodeThrow.Error(BencodeError.UnexpectedByte, Position, "expected the end of a list or dictionary");
        }
    }

    /// <summary>Consumes an 'e' and returns true when the current list/dictionary ends here.</summary>
    /// <remarks>Throws when the input ends inside a container, so a loop on it always terminates.</remarks>
    public bool TryReadEnd()
    {
        if (_depth == 0)
        {
            return false;
        }
        if (IsAtEnd)
        {
            BencodeThrow.Error(BencodeError.UnexpectedEnd, Position, "list or dictionary is not terminated");
        }
        if (_data[Position] != (byte)'e')
        {
            return false;
        }
        Position++;
        _depth--;
        return true;
    }

    /// <summary>Skips one whole value, validating it, and returns its original bytes.</summary>
    /// <remarks>Dictionary keys must be strings; their order is not checked (see the type remarks).</remarks>
    public ReadOnlySpan<byte> SkipValue()
    {
        int start = Position;
        switch (Peek())
        {
            case BencodeToken.Integer:
                ReadInteger();
                break;
            case BencodeToken.String:
                ReadString();
                break;
            case BencodeToken.ListStart:
                ReadListStart();
                while (!TryReadEnd())
                {
                    SkipValue();
                }
                break;
            case BencodeToken.DictionaryStart:
                ReadDictionaryStart();
                while (!TryReadEnd())
                {
                    ReadString();
                    SkipValue();
                }
                break;
            case BencodeToken.End:
                BencodeThrow.Error(BencodeError.UnexpectedByte, Position, "unexpected end marker");
                break;
            default:
                BencodeThrow.Error(BencodeError.UnexpectedEnd, Position, "expected a value");
                break;
        }
        return _data[start..Position];
    }

    /// <summary>Throws <see cref="BencodeError.TrailingData"/> unless the whole input was consumed.</summary>
    public readonly void EnsureAtEnd()
    {
        if (!IsAtEnd)
        {
            BencodeThrow.Error(BencodeError.TrailingData, Position, "data after the top-level value");
        }
    }

    private void Expect(byte marker, BencodeError reason, string detail)
    {
        if (IsAtEnd)
        {
            BencodeThrow.Error(BencodeError.UnexpectedEnd, Position, detail);
        }
        if (_data[Position] != marker)
        {
            BencodeThrow.Error(reason, Position, detail);
        }
        Position++;
    }

    private void Enter()
    {
        if (_depth >= MaxDepth)
        {
            BencodeThrow.Error(BencodeError.TooDeep, Position - 1, $"nesting deeper than {MaxDepth}");
        }
        _depth++;
    }
}
