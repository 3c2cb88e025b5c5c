using System.Diagnostics.CodeAnalysis;

namespace Ezio.BitTorrent.Bencoding;

/// <summary>Why a bencoded input was rejected.</summary>
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
    DuplicateKey,
}

/// <summary>Malformed bencoding; <see cref="Position"/> is the byte offset where the problem was seen.</summary>
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

internal static class BencodeThrow
{
    [DoesNotReturn]
    public static void Error(BencodeError reason, int position, string detail) =>
        throw new BencodeException(reason, position, $"Invalid bencoding at byte {position} ({reason}): {detail}.");
}
