using System.Buffers.Binary;
using System.Net;

namespace Ezio.BitTorrent.Trackers;

// BEP 23 https://www.bittorrent.org/beps/bep_0023.html  (compact IPv4 peers, also BEP 15's reply)
// BEP 7  https://www.bittorrent.org/beps/bep_0007.html  (compact IPv6 peers)
//
//   IPv4 peer, 6 bytes                  IPv6 peer, 18 bytes
//   +---+---+---+---+----+----+         +-------- ... --------+----+----+
//   | a | b | c | d | port    |         |  16-byte address    | port    |
//   +---+---+---+---+----+----+         +-------- ... --------+----+----+
//   network byte order throughout; the entries are simply concatenated.

/// <summary>Decodes concatenated compact peer entries.</summary>
internal static class CompactPeers
{
    public const int IPv4Size = 6;
    public const int IPv6Size = 18;

    /// <summary>Appends the IPv4 peers in <paramref name="data"/>; a length that is not a multiple of 6 means the tracker is broken.</summary>
    public static void ReadIPv4(ReadOnlySpan<byte> data, List<IPEndPoint> peers, int maxPeers) =>
        Read(data, IPv4Size, peers, maxPeers);

    public static void ReadIPv6(ReadOnlySpan<byte> data, List<IPEndPoint> peers, int maxPeers) =>
        Read(data, IPv6Size, peers, maxPeers);

    private static void Read(ReadOnlySpan<byte> data, int entrySize, List<IPEndPoint> peers, int maxPeers)
    {
        if (data.Length % entrySize != 0)
        {
            throw new InvalidDataException($"compact peer list of {data.Length} bytes is not a multiple of {entrySize}");
        }
        int addressSize = entrySize - 2;
        for (int offset = 0; offset < data.Length && peers.Count < maxPeers; offset += entrySize)
        {
            ReadOnlySpan<byte> entry = data.Slice(offset, entrySize);
            ushort port = BinaryPrimitives.ReadUInt16BigEndian(entry[addressSize..]);
            // Port 0 cannot be connected to; some trackers pad with such entries.
            if (port != 0)
            {
                peers.Add(new IPEndPoint(new IPAddress(entry[..addressSize]), port));
            }
        }
    }
}
