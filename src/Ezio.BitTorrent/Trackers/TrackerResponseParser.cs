using System.Net;
using System.Text;

namespace Ezio.BitTorrent.Trackers;

// BEP 3  https://www.bittorrent.org/beps/bep_0003.html  (tracker response, bencoding)
// BEP 23 https://www.bittorrent.org/beps/bep_0023.html  (compact "peers")
// BEP 7  https://www.bittorrent.org/beps/bep_0007.html  ("peers6")
//
// An HTTP tracker answers with one bencoded dictionary:
//
//   d
//     14:failure reason  <string>        present => nothing else matters
//     15:warning message <string>        optional
//     8:interval         i<seconds>e
//     12:min interval    i<seconds>e     optional
//     8:complete         i<seeders>e     optional
//     10:incomplete      i<leechers>e    optional
//     5:peers            <string>        compact: 6 bytes per IPv4 peer
//                      | l d 2:ip <string> 4:port i<port>e [7:peer id <string>] e ... e
//     6:peers6           <string>        compact: 18 bytes per IPv6 peer
//   e
//
//   integer  i-?[1-9][0-9]*e | i0e        string  [1-9][0-9]*:<bytes> | 0:
//
// This is a private, bounded reader for exactly that shape. It does not use Bencoding/ on
// purpose: tracker bodies come from the network, and the only thing we want from them is this
// one record, so a tiny strict reader is easier to audit than a general one.

/// <summary>Turns an HTTP tracker body into an <see cref="AnnounceResponse"/>; throws <see cref="TrackerException"/> on anything malformed.</summary>
internal static class TrackerResponseParser
{
    /// <summary>More than any swarm we deploy to; a tracker sending more is trimmed, not trusted.</summary>
    internal const int MaxPeers = 4096;

    /// <summary>Used when a tracker omits <c>interval</c>; BEP 3 requires it but some trackers forget.</summary>
    internal static readonly TimeSpan DefaultInterval = TimeSpan.FromMinutes(30);

    private const int MaxDepth = 16;
    private const int MaxTextLength = 512;

    public static AnnounceResponse Parse(ReadOnlySpan<byte> body, Uri tracker)
    {
        try
        {
            return ParseCore(body);
        }
        catch (InvalidDataException e)
        {
            throw new TrackerException($"Tracker {tracker} sent an invalid response: {e.Message}", e);
        }
    }

    private static AnnounceResponse ParseCore(ReadOnlySpan<byte> body)
    {
        var reader = new Reader(body);
        var peers = new List<IPEndPoint>();
        string? failure = null;
        string? warning = null;
        long? interval = null;
        long? minInterval = null;
        long? complete = null;
        long? incomplete = null;

        reader.Expect((byte)'d');
        while (!reader.TryReadEnd())
        {
            ReadOnlySpan<byte> key = reader.ReadString();
            if (key.SequenceEqual("failure reason"u8))
            {
                failure = DecodeText(reader.ReadString());
            }
            else if (key.SequenceEqual("warning message"u8))
            {
                warning = DecodeText(reader.ReadString());
            }
            else if (key.SequenceEqual("interval"u8))
            {
                interval = reader.ReadInteger();
            }
            else if (key.SequenceEqual("min interval"u8))
            {
                minInterval = reader.ReadInteger();
            }
            else if (key.SequenceEqual("complete"u8))
            {
                complete = reader.ReadInteger();
            }
            else if (key.SequenceEqual("incomplete"u8))
            {
                incomplete = reader.ReadInteger();
            }
            else if (key.SequenceEqual("peers"u8))
            {
                if (reader.Peek() == (byte)'l')
                {
                    ReadPeerList(ref reader, peers);
                }
                else
                {
                    CompactPeers.ReadIPv4(reader.ReadString(), peers, MaxPeers);
                }
            }
            else if (key.SequenceEqual("peers6"u8))
            {
                CompactPeers.ReadIPv6(reader.ReadString(), peers, MaxPeers);
            }
            else
            {
                // Unknown keys ("tracker id", "downloaded", "external ip", ...) are legal; skip them.
                reader.SkipValue(depth: 1);
            }
        }
        if (!reader.IsAtEnd)
        {
            throw new InvalidDataException("trailing bytes after the response dictionary");
        }

        if (failure is not null)
        {
            // BEP 3: a failure reason replaces every other key, so peers and counts are dropped.
            return new AnnounceResponse([], ToInterval(interval) ?? DefaultInterval, null, null, null, failure, warning);
        }
        return new AnnounceResponse(
            peers,
            ToInterval(interval) ?? DefaultInterval,
            ToInterval(minInterval),
            ToCount(complete),
            ToCount(incomplete),
            null,
            warning);
    }

    private static void ReadPeerList(ref Reader reader, List<IPEndPoint> peers)
    {
        reader.Expect((byte)'l');
        while (!reader.TryReadEnd())
        {
            reader.Expect((byte)'d');
            IPAddress? address = null;
            long port = -1;
            while (!reader.TryReadEnd())
            {
                ReadOnlySpan<byte> key = reader.ReadString();
                if (key.SequenceEqual("ip"u8))
                {
                    address = ParseAddress(reader.ReadString());
                }
                else if (key.SequenceEqual("port"u8))
                {
                    port = reader.ReadInteger();
                }
                else
                {
                    reader.SkipValue(depth: 3);
                }
            }
            // BEP 3 lets "ip" be a DNS name. We skip those rather than let a tracker steer our
            // resolver; entries with a bad port are skipped too, the rest of the list is still good.
            if (address is not null && port is > 0 and <= IPEndPoint.MaxPort && peers.Count < MaxPeers)
            {
                peers.Add(new IPEndPoint(address, (int)port));
            }
        }
    }

    private static IPAddress? ParseAddress(ReadOnlySpan<byte> ip)
    {
        if (ip.Length is 0 or > 45)
        {
            return null;
        }
        Span<char> chars = stackalloc char[ip.Length];
        for (int i = 0; i < ip.Length; i++)
        {
            chars[i] = (char)ip[i];
        }
        // IPAddress.TryParse also accepts "1" or "0x7f.1"; insist on dotted quads or an IPv6 colon.
        bool plausible = chars.Contains(':') || chars.Count('.') == 3;
        return plausible && IPAddress.TryParse(chars, out IPAddress? address) ? address : null;
    }

    private static TimeSpan? ToInterval(long? seconds) => seconds switch
    {
        null => null,
        < 0 or > int.MaxValue => throw new InvalidDataException($"interval {seconds} is out of range"),
        _ => TimeSpan.FromSeconds(seconds.Value),
    };

    private static int? ToCount(long? count) => count switch
    {
        null => null,
        < 0 or > int.MaxValue => throw new InvalidDataException($"peer count {count} is out of range"),
        _ => (int)count.Value,
    };

    /// <summary>Tracker text ends up in one-line log messages, so it is bounded and flattened.</summary>
    internal static string DecodeText(ReadOnlySpan<byte> bytes)
    {
        string text = Encoding.UTF8.GetString(bytes.Length > MaxTextLength * 4 ? bytes[..(MaxTextLength * 4)] : bytes);
        if (text.Length > MaxTextLength)
        {
            text = text[..MaxTextLength];
        }
        return string.Create(text.Length, text, static (span, source) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? ' ' : source[i];
            }
        });
    }

    /// <summary>Strict forward reader: canonical integers and lengths, bounded depth, no reads past the end.</summary>
    private ref struct Reader
    {
        // 18 digits always fit in a long, and no tracker value needs more.
        private const int MaxIntegerDigits = 18;
        // 9 digits keep a string length below 1e9, far above any body we accept.
        private const int MaxLengthDigits = 9;

        private readonly ReadOnlySpan<byte> _data;
        private int _position;

        public Reader(ReadOnlySpan<byte> data)
        {
            _data = data;
            _position = 0;
        }

        public readonly bool IsAtEnd => _position == _data.Length;

        public readonly byte Peek()
        {
            if (_position >= _data.Length)
            {
                throw Truncated();
            }
            return _data[_position];
        }

        public void Expect(byte expected)
        {
            byte actual = Peek();
            if (actual != expected)
            {
                throw new InvalidDataException($"expected '{(char)expected}' at offset {_position}, found 0x{actual:x2}");
            }
            _position++;
        }

        public bool TryReadEnd()
        {
            if (Peek() != (byte)'e')
            {
                return false;
            }
            _position++;
            return true;
        }

        public long ReadInteger()
        {
            Expect((byte)'i');
            bool negative = Peek() == (byte)'-';
            if (negative)
            {
                _position++;
            }
            long value = ReadDigits(MaxIntegerDigits);
            if (negative && value == 0)
            {
                throw new InvalidDataException("integer -0 is not canonical");
            }
            Expect((byte)'e');
            return negative ? -value : value;
        }

        public ReadOnlySpan<byte> ReadString()
        {
            long length = ReadDigits(MaxLengthDigits);
            Expect((byte)':');
            if (length > _data.Length - _position)
            {
                throw Truncated();
            }
            ReadOnlySpan<byte> value = _data.Slice(_position, (int)length);
            _position += (int)length;
            return value;
        }

        public void SkipValue(int depth)
        {
            if (depth > MaxDepth)
            {
                throw new InvalidDataException($"nesting deeper than {MaxDepth}");
            }
            switch (Peek())
            {
                case (byte)'i':
                    ReadInteger();
                    break;
                case (byte)'l':
                    _position++;
                    while (!TryReadEnd())
                    {
                        SkipValue(depth + 1);
                    }
                    break;
                case (byte)'d':
                    _position++;
                    while (!TryReadEnd())
                    {
                        ReadString();
                        SkipValue(depth + 1);
                    }
                    break;
                case >= (byte)'0' and <= (byte)'9':
                    ReadString();
                    break;
                default:
                    throw new InvalidDataException($"unexpected byte 0x{Peek():x2} at offset {_position}");
            }
        }

        private long ReadDigits(int maxDigits)
        {
            int start = _position;
            long value = 0;
            while (_position < _data.Length && _data[_position] is >= (byte)'0' and <= (byte)'9')
            {
                if (_position - start == maxDigits)
                {
                    throw new InvalidDataException($"number at offset {start} is too long");
                }
                value = value * 10 + (_data[_position] - '0');
                _position++;
            }
            int digits = _position - start;
            if (digits == 0)
            {
                throw _position >= _data.Length ? Truncated() : new InvalidDataException($"expected a digit at offset {_position}");
            }
            if (digits > 1 && _data[start] == (byte)'0')
            {
                throw new InvalidDataException($"number at offset {start} has a leading zero");
            }
            return value;
        }

        private readonly InvalidDataException Truncated() => new($"truncated at offset {_position}");
    }
}
