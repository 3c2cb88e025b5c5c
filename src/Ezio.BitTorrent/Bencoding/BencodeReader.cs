namespace Ezio.BitTorrent.Bencoding;

// CONTRACT STUB: the Bencoding work replaces the bodies; the public shape stays.

public enum BencodeToken
{
    None,
    Integer,
    String,
    ListStart,
    DictionaryStart,
    End,
}

/// <summary>Forward-only reader over bencoded bytes (BEP 3).</summary>
public ref struct BencodeReader
{
    private readonly ReadOnlySpan<byte> _data;

    public BencodeReader(ReadOnlySpan<byte> data, int maxDepth = 64)
    {
        _data = data;
        Position = 0;
        MaxDepth = maxDepth;
    }

    public int Position { get; private set; }
    public int MaxDepth { get; }
    public readonly bool IsAtEnd => Position >= _data.Length;

    /// <summary>The kind of the next token; throws <see cref="BencodeException"/> on a byte that starts none.</summary>
    public readonly BencodeToken Peek() => throw new NotImplementedException();
    public long ReadInteger() => throw new NotImplementedException();
    /// <summary>A byte string; the span points into the input.</summary>
    public ReadOnlySpan<byte> ReadString() => throw new NotImplementedException();
    public void ReadListStart() => throw new NotImplementedException();
    public void ReadDictionaryStart() => throw new NotImplementedException();
    public void ReadEnd() => throw new NotImplementedException();
    /// <summary>Consumes an 'e' and returns true when the current list/dictionary ends here.</summary>
    public bool TryReadEnd() => throw new NotImplementedException();
    /// <summary>Skips one whole value and returns its original bytes.</summary>
    public ReadOnlySpan<byte> SkipValue() => throw new NotImplementedException();
}

public enum BencodeError
{
    UnexpectedEnd,
    UnexpectedByte,
    InvalidInteger,
    InvalidLength,
    TooDeep,
    UnsortedKeys,
    TrailingData,
    WrongType,
}

public sealed class BencodeException : FormatException
{
    public BencodeException(BencodeError reason, int position, string message) : base(message)
    {
        Reason = reason;
        Position = position;
    }

    public BencodeError Reason { get; }
    public int Position { get; }
}
