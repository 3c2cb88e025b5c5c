namespace Ezio.Server.Tracker;

/// <summary>
/// Parses a raw tracker query string. info_hash and peer_id are binary, percent-encoded byte
/// by byte (BEP 3), so they must not go through a UTF-8 query decoder: values stay bytes here.
/// </summary>
internal sealed class TrackerQuery
{
    /// <summary>Longest query we read; a real announce is a few hundred bytes.</summary>
    public const int MaxLength = 4096;

    private readonly Dictionary<string, List<byte[]>> _values = new(StringComparer.Ordinal);

    private TrackerQuery()
    {
    }

    public static bool TryParse(string? raw, out TrackerQuery query, out string? error)
    {
        query = new TrackerQuery();
        error = null;
        if (string.IsNullOrEmpty(raw))
        {
            return true;
        }
        if (raw.Length > MaxLength)
        {
            error = "query too long";
            return false;
        }
        var text = raw[0] == '?' ? raw.AsSpan(1) : raw.AsSpan();
        foreach (var range in text.Split('&'))
        {
            var part = text[range];
            if (part.IsEmpty)
            {
                continue;
            }
            var eq = part.IndexOf('=');
            var keyPart = eq < 0 ? part : part[..eq];
            var valuePart = eq < 0 ? [] : part[(eq + 1)..];
            if (!TryDecode(keyPart, out var keyBytes) || !TryDecode(valuePart, out var value))
            {
                error = "bad percent-encoding";
                return false;
            }
            var key = System.Text.Encoding.ASCII.GetString(keyBytes);
            if (!query._values.TryGetValue(key, out var list))
            {
                if (query._values.Count >= 64)
                {
                    error = "too many parameters";
                    return false;
                }
                list = [];
                query._values[key] = list;
            }
            if (list.Count < 64)
            {
                list.Add(value);
            }
        }
        return true;
    }

    public byte[]? GetBytes(string key) => _values.TryGetValue(key, out var list) ? list[0] : null;

    public IReadOnlyList<byte[]> GetAll(string key) => _values.TryGetValue(key, out var list) ? list : [];

    public string? GetText(string key) => GetBytes(key) is { } bytes ? System.Text.Encoding.ASCII.GetString(bytes) : null;

    /// <summary>Missing → null; present but not a non-negative integer → false.</summary>
    public bool TryGetInteger(string key, out long? value)
    {
        value = null;
        if (GetText(key) is not { } text)
        {
            return true;
        }
        if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
        {
            return false;
        }
        value = parsed;
        return true;
    }

    private static bool TryDecode(ReadOnlySpan<char> input, out byte[] bytes)
    {
        var output = new byte[input.Length];
        var n = 0;
        for (var i = 0; i < input.Length; i++)
        {
            var c = input[i];
            if (c == '%')
            {
                if (i + 2 >= input.Length || !char.IsAsciiHexDigit(input[i + 1]) || !char.IsAsciiHexDigit(input[i + 2]))
                {
                    bytes = [];
                    return false;
                }
                output[n++] = (byte)((HexValue(input[i + 1]) << 4) | HexValue(input[i + 2]));
                i += 2;
            }
            else if (c == '+')
            {
                output[n++] = (byte)' ';
            }
            else if (c > 0x7f)
            {
                bytes = [];
                return false;
            }
            else
            {
                output[n++] = (byte)c;
            }
        }
        bytes = output.AsSpan(0, n).ToArray();
        return true;
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
