using System.Text;

namespace Ezio.BitTorrent.Bencoding;

// BEP 3 values as a small tree, for documents that are read whole and looked up by key
// (tracker responses, BEP 15/23 payloads, extension handshakes). Torrents are parsed with the
// streaming BencodeReader instead, to hash the info dictionary over its original bytes.
//
//   BencodeValue
//     +-- BencodeInteger     i<n>e
//     +-- BencodeString      <len>:<bytes>      Value slices the input, no copy
//     +-- BencodeList        l ... e
//     +-- BencodeDictionary  d ... e            keys are Latin-1 strings (one char per byte)
//
// Ownership: string values point into the memory given to Parse; keep it alive and unchanged.

/// <summary>A parsed bencoded value (BEP 3).</summary>
public abstract class BencodeValue
{
    private protected BencodeValue()
    {
    }

    /// <summary>
    /// Parses exactly one value filling all of <paramref name="data"/>; throws
    /// <see cref="BencodeException"/> otherwise. Duplicate dictionary keys are rejected.
    /// </summary>
    public static BencodeValue Parse(ReadOnlyMemory<byte> data, int maxDepth = 64)
    {
        var reader = new BencodeReader(data.Span, maxDepth);
        BencodeValue value = ReadValue(ref reader, data);
        reader.EnsureAtEnd();
        return value;
    }

    private static BencodeValue ReadValue(ref BencodeReader reader, ReadOnlyMemory<byte> data)
    {
        switch (reader.Peek())
        {
            case BencodeToken.Integer:
                return new BencodeInteger(reader.ReadInteger());
            case BencodeToken.String:
                return new BencodeString(ReadStringMemory(ref reader, data));
            case BencodeToken.ListStart:
                var items = new List<BencodeValue>();
                reader.ReadListStart();
                while (!reader.TryReadEnd())
                {
                    items.Add(ReadValue(ref reader, data));
                }
                return new BencodeList(items);
            case BencodeToken.DictionaryStart:
                var entries = new Dictionary<string, BencodeValue>(StringComparer.Ordinal);
                reader.ReadDictionaryStart();
                while (!reader.TryReadEnd())
                {
                    int keyPosition = reader.Position;
                    string key = Encoding.Latin1.GetString(reader.ReadString());
                    if (!entries.TryAdd(key, ReadValue(ref reader, data)))
                    {
                        BencodeThrow.Error(BencodeError.DuplicateKey, keyPosition, "a dictionary key appears twice");
                    }
                }
                return new BencodeDictionary(entries);
            case BencodeToken.End:
                BencodeThrow.Error(BencodeError.UnexpectedByte, reader.Position, "unexpected end marker");
                return null;
            default:
                BencodeThrow.Error(BencodeError.UnexpectedEnd, reader.Position, "expected a value");
                return null;
        }
    }

    private static ReadOnlyMemory<byte> ReadStringMemory(ref BencodeReader reader, ReadOnlyMemory<byte> data)
    {
        int length = reader.ReadString().Length;
        return data.Slice(reader.Position - length, length);
    }
}

public sealed class BencodeInteger(long value) : BencodeValue
{
    public long Value { get; } = value;

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

public sealed class BencodeString(ReadOnlyMemory<byte> value) : BencodeValue
{
    public ReadOnlyMemory<byte> Value { get; } = value;

    /// <summary>The bytes as UTF-8; invalid sequences become U+FFFD.</summary>
    public string Text => Encoding.UTF8.GetString(Value.Span);

    public override string ToString() => Text;
}

public sealed class BencodeList(IReadOnlyList<BencodeValue> items) : BencodeValue
{
    public IReadOnlyList<BencodeValue> Items { get; } = items;
}

/// <summary>A dictionary; keys are the raw key bytes read as Latin-1, so binary keys survive.</summary>
public sealed class BencodeDictionary(IReadOnlyDictionary<string, BencodeValue> entries) : BencodeValue
{
    public IReadOnlyDictionary<string, BencodeValue> Entries { get; } = entries;

    public bool TryGetValue(string key, out BencodeValue? value) => Entries.TryGetValue(key, out value);

    /// <summary>The integer under <paramref name="key"/>, or null when absent or of another type.</summary>
    public long? GetInteger(string key) => Entries.GetValueOrDefault(key) is BencodeInteger i ? i.Value : null;

    /// <summary>The string bytes under <paramref name="key"/>, or null when absent or of another type.</summary>
    public ReadOnlyMemory<byte>? GetBytes(string key) => Entries.GetValueOrDefault(key) is BencodeString s ? s.Value : (ReadOnlyMemory<byte>?)null;

    /// <summary>The UTF-8 text under <paramref name="key"/>, or null when absent or of another type.</summary>
    public string? GetText(string key) => Entries.GetValueOrDefault(key) is BencodeString s ? s.Text : null;

    public BencodeList? GetList(string key) => Entries.GetValueOrDefault(key) as BencodeList;

    public BencodeDictionary? GetDictionary(string key) => Entries.GetValueOrDefault(key) as BencodeDictionary;
}
