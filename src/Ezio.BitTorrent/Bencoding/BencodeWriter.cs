using System.Buffers;
using System.Text;

namespace Ezio.BitTorrent.Bencoding;

// BEP 3, "bencoding": https://www.bittorrent.org/beps/bep_0003.html
//
//   i<decimal>e     <length>:<bytes>     l ... e     d <key><value> ... e
//
// The writer emits exactly these tokens and nothing else; it keeps no state. BEP 3 requires
// dictionary keys to "appear in sorted order (sorted as raw strings, not alphanumerics)" —
// that is the caller's job, since only the caller knows which keys it writes.

/// <summary>Writes bencoded values into a buffer writer. The caller writes dictionary keys sorted.</summary>
public readonly struct BencodeWriter
{
    // "-9223372036854775808" is 20 characters; the prefix adds one more for ':' or 'e'.
    private const int MaxIntegerBytes = 22;

    private readonly IBufferWriter<byte> _output;

    public BencodeWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    public void WriteInteger(long value)
    {
        Span<byte> span = _output.GetSpan(MaxIntegerBytes + 1);
        span[0] = (byte)'i';
        value.TryFormat(span[1..], out int written, default, null);
        span[1 + written] = (byte)'e';
        _output.Advance(written + 2);
    }

    public void WriteString(ReadOnlySpan<byte> value)
    {
        WriteLengthPrefix(value.Length);
        _output.Write(value);
    }

    /// <summary>UTF-8 string.</summary>
    public void WriteString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int length = Encoding.UTF8.GetByteCount(value);
        WriteLengthPrefix(length);
        Span<byte> span = _output.GetSpan(length);
        int written = Encoding.UTF8.GetBytes(value, span);
        _output.Advance(written);
    }

    public void WriteListStart() => WriteByte((byte)'l');

    public void WriteDictionaryStart() => WriteByte((byte)'d');

    public void WriteEnd() => WriteByte((byte)'e');

    /// <summary>Copies already-bencoded bytes as they are.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bencoded) => _output.Write(bencoded);

    private void WriteLengthPrefix(int length)
    {
        Span<byte> span = _output.GetSpan(MaxIntegerBytes);
        length.TryFormat(span, out int written, default, null);
        span[written] = (byte)':';
        _output.Advance(written + 1);
    }

    private void WriteByte(byte value)
    {
        _output.GetSpan(1)[0] = value;
        _output.Advance(1);
    }
}
