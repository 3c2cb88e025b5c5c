using System.Buffers;
using System.Text;
using Ezio.BitTorrent.Bencoding;

namespace Ezio.BitTorrent.PeerWire;

/// <summary>
/// The BEP 10 extension handshake (extended message id 0), a bencoded dictionary:
/// <code>
/// d 1:m d &lt;extension name&gt; &lt;local message id&gt; ... e
///   9:ezio_seed 1 (we hold every piece)   1:p &lt;listen port&gt;
///   4:reqq &lt;outstanding requests we accept&gt;   11:upload_only 1 (BEP 21)   1:v &lt;client name&gt; e
/// </code>
/// https://www.bittorrent.org/beps/bep_0010.html
/// </summary>
public sealed record ExtensionHandshake(
    IReadOnlyDictionary<string, int> Extensions,
    int? ListenPort,
    int? RequestQueue,
    string? Client)
{
    /// <summary>The sender only uploads (BEP 21: a seed, or a peer that wants nothing more).</summary>
    public bool UploadOnly { get; init; }

    /// <summary>
    /// The sender holds every piece, even while it shows fewer (super-seeding). Our own key:
    /// libtorrent drops an upload-only peer that has nothing it wants yet, which a super-seed
    /// saying <c>upload_only</c> would be at first.
    /// </summary>
    public bool Seed { get; init; }

    /// <summary>Encodes the dictionary (keys sorted as bencode requires).</summary>
    public byte[] Encode()
    {
        var output = new ArrayBufferWriter<byte>(128);
        var writer = new BencodeWriter(output);
        writer.WriteDictionaryStart();
        if (Seed)
        {
            writer.WriteString("ezio_seed"u8);
            writer.WriteInteger(1);
        }
        writer.WriteString("m"u8);
        writer.WriteDictionaryStart();
        foreach (var pair in Extensions.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.WriteString(pair.Key);
            writer.WriteInteger(pair.Value);
        }
        writer.WriteEnd();
        if (ListenPort is { } port)
        {
            writer.WriteString("p"u8);
            writer.WriteInteger(port);
        }
        if (RequestQueue is { } reqq)
        {
            writer.WriteString("reqq"u8);
            writer.WriteInteger(reqq);
        }
        if (UploadOnly)
        {
            writer.WriteString("upload_only"u8);
            writer.WriteInteger(1);
        }
        if (Client is { } client)
        {
            writer.WriteString("v"u8);
            writer.WriteString(client);
        }
        writer.WriteEnd();
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Decodes a handshake; unknown keys are ignored, wrong types are errors.</summary>
    public static ExtensionHandshake Parse(ReadOnlySpan<byte> payload)
    {
        try
        {
            var reader = new BencodeReader(payload, maxDepth: 8);
            var extensions = new Dictionary<string, int>(StringComparer.Ordinal);
            int? port = null;
            int? reqq = null;
            string? client = null;
            var uploadOnly = false;
            var seed = false;
            reader.ReadDictionaryStart();
            while (!reader.TryReadEnd())
            {
                var key = reader.ReadString();
                if (key.SequenceEqual("m"u8) && reader.Peek() == BencodeToken.DictionaryStart)
                {
                    reader.ReadDictionaryStart();
                    while (!reader.TryReadEnd())
                    {
                        var name = Encoding.UTF8.GetString(reader.ReadString());
                        if (reader.Peek() == BencodeToken.Integer)
                        {
                            var id = reader.ReadInteger();
                            if (id is >= 0 and <= 255 && extensions.Count < 64)
                            {
                                extensions[name] = (int)id;
                            }
                        }
                        else
                        {
                            reader.SkipValue();
                        }
                    }
                }
                else if (key.SequenceEqual("p"u8) && reader.Peek() == BencodeToken.Integer)
                {
                    var value = reader.ReadInteger();
                    port = value is > 0 and <= 65535 ? (int)value : null;
                }
                else if (key.SequenceEqual("reqq"u8) && reader.Peek() == BencodeToken.Integer)
                {
                    var value = reader.ReadInteger();
                    reqq = value > 0 ? (int)Math.Min(value, 1 << 16) : null;
                }
                else if (key.SequenceEqual("ezio_seed"u8) && reader.Peek() == BencodeToken.Integer)
                {
                    seed = reader.ReadInteger() != 0;
                }
                else if (key.SequenceEqual("upload_only"u8) && reader.Peek() == BencodeToken.Integer)
                {
                    uploadOnly = reader.ReadInteger() != 0;
                }
                else if (key.SequenceEqual("v"u8) && reader.Peek() == BencodeToken.String)
                {
                    var value = reader.ReadString();
                    client = Encoding.UTF8.GetString(value[..Math.Min(value.Length, 64)]);
                }
                else
                {
                    reader.SkipValue();
                }
            }
            return new ExtensionHandshake(extensions, port, reqq, client) { UploadOnly = uploadOnly, Seed = seed };
        }
        catch (BencodeException e)
        {
            throw new PeerProtocolException(PeerProtocolError.UnexpectedMessage, $"bad extension handshake: {e.Message}");
        }
    }
}
