using System.Buffers.Binary;
using System.Text;

namespace Ezio.Agent.Journal;

/// <summary>
/// Builds one datagram of the journal's native protocol (systemd.journal-fields(7),
/// "Native Journal Protocol"):
/// <code>
///   KEY=value\n                      value without a newline
///   KEY\n &lt;u64 LE length&gt; bytes \n   binary-safe form, used when value contains '\n'
/// </code>
/// Field names are [A-Z0-9_], must not start with '_' (trusted fields) or a digit, and are
/// at most 64 characters; anything else is mapped or dropped.
/// </summary>
internal sealed class JournalEntry : IDisposable
{
    private readonly MemoryStream _buffer = new();

    public int Length => (int)_buffer.Length;

    public void Dispose() => _buffer.Dispose();

    public void Add(string name, string? value)
    {
        if (value is null || !IsValidName(name))
        {
            return;
        }
        var nameBytes = Encoding.ASCII.GetBytes(name);
        var valueBytes = Encoding.UTF8.GetBytes(value);
        _buffer.Write(nameBytes);
        if (value.Contains('\n'))
        {
            _buffer.WriteByte((byte)'\n');
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)valueBytes.Length);
            _buffer.Write(length);
        }
        else
        {
            _buffer.WriteByte((byte)'=');
        }
        _buffer.Write(valueBytes);
        _buffer.WriteByte((byte)'\n');
    }

    public ReadOnlySpan<byte> Bytes => _buffer.GetBuffer().AsSpan(0, Length);

    public static bool IsValidName(string name)
    {
        if (name.Length is 0 or > 64 || name[0] == '_' || char.IsAsciiDigit(name[0]))
        {
            return false;
        }
        foreach (var c in name)
        {
            if (!(c is >= 'A' and <= 'Z' || char.IsAsciiDigit(c) || c == '_'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>"peerAddress" / "PeerAddress" → "EZIO_PEER_ADDRESS"; other characters become '_'.</summary>
    public static string FieldName(string property)
    {
        var builder = new StringBuilder("EZIO_", property.Length + 10);
        for (var i = 0; i < property.Length; i++)
        {
            var c = property[i];
            if (char.IsAsciiLetterUpper(c) && i > 0 && (char.IsAsciiLetterLower(property[i - 1]) || char.IsAsciiDigit(property[i - 1])))
            {
                builder.Append('_');
            }
            builder.Append(char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_');
        }
        return builder.Length > 64 ? builder.ToString(0, 64) : builder.ToString();
    }
}
