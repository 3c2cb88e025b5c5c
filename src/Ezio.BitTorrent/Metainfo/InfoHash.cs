using System.Buffers.Binary;

namespace Ezio.BitTorrent.Metainfo;

/// <summary>The 20-byte SHA-1 of a torrent's bencoded <c>info</c> dictionary (BEP 3).</summary>
public readonly struct InfoHash : IEquatable<InfoHash>
{
    public const int Size = 20;

    private readonly ulong _a;
    private readonly ulong _b;
    private readonly uint _c;

    public InfoHash(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"An info-hash is {Size} bytes, got {bytes.Length}.", nameof(bytes));
        }
        _a = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]);
    }

    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], _c);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        CopyTo(bytes);
        return bytes;
    }

    /// <summary>40 lowercase hex digits.</summary>
    public override string ToString() => Convert.ToHexStringLower(ToArray());

    public static InfoHash Parse(string hex) => new(Convert.FromHexString(hex));

    public bool Equals(InfoHash other) => _a == other._a && _b == other._b && _c == other._c;

    public override bool Equals(object? obj) => obj is InfoHash other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_a, _b, _c);

    public static bool operator ==(InfoHash left, InfoHash right) => left.Equals(right);

    public static bool operator !=(InfoHash left, InfoHash right) => !left.Equals(right);
}
