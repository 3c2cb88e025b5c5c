using System.Text;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.Trackers;

namespace Ezio.BitTorrent.Tests.Trackers;

/// <summary>Requests and byte helpers shared by the tracker tests.</summary>
internal static class TrackerTestData
{
    // Bytes that break naive escaping: NUL, space, '%', '&', '+', '=', '?', '#', high bytes, and unreserved ones.
    public static readonly byte[] AwkwardInfoHash =
    [
        0x00, 0x20, 0x25, 0x26, 0x2B, 0x3D, 0x3F, 0x23, 0xFF, 0x80,
        (byte)'A', (byte)'z', (byte)'~', (byte)'-', (byte)'.', (byte)'_', 0x7F, 0x0A, 0x2F, 0x01,
    ];

    public static readonly byte[] PeerId = "-EZ0001-abc%def&ghi="u8.ToArray();

    public static AnnounceRequest Request(TrackerEvent trackerEvent = TrackerEvent.Started, int port = 6881, long left = 1234) =>
        new(new InfoHash(AwkwardInfoHash), PeerId, port, Uploaded: 11, Downloaded: 22, left, trackerEvent, NumWant: 50);

    public static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);

    /// <summary>Percent-decodes a query value to raw bytes (Uri.UnescapeDataString would force UTF-8).</summary>
    public static byte[] PercentDecode(string value)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] == '%')
            {
                bytes.Add(Convert.ToByte(value.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.Add((byte)value[i]);
            }
        }
        return bytes.ToArray();
    }

    /// <summary>Splits "GET /path?a=1&amp;b=2 HTTP/1.1" into its raw (still escaped) query pairs.</summary>
    public static Dictionary<string, string> QueryOf(string requestLine)
    {
        string target = requestLine.Split(' ')[1];
        string query = target[(target.IndexOf('?') + 1)..];
        var pairs = new Dictionary<string, string>();
        foreach (string pair in query.Split('&'))
        {
            int equals = pair.IndexOf('=');
            pairs.Add(equals < 0 ? pair : pair[..equals], equals < 0 ? "" : pair[(equals + 1)..]);
        }
        return pairs;
    }
}
