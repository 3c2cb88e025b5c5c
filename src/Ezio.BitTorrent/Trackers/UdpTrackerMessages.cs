using System.Buffers.Binary;
using System.Net;

namespace Ezio.BitTorrent.Trackers;

// BEP 15 https://www.bittorrent.org/beps/bep_0015.html  (UDP tracker protocol)
// All integers big-endian.
//
// connect request (16)          connect response (16)
//  0  i64 protocol_id 0x41727101980   0  i32 action = 0
//  8  i32 action = 0                  4  i32 transaction_id
// 12  i32 transaction_id              8  i64 connection_id
//
// announce request (98)                      announce response (20 + 6n, or 20 + 18n over IPv6)
//  0  i64 connection_id                       0  i32 action = 1
//  8  i32 action = 1                          4  i32 transaction_id
// 12  i32 transaction_id                      8  i32 interval
// 16  20  info_hash                          12  i32 leechers
// 36  20  peer_id                            16  i32 seeders
// 56  i64 downloaded                         20  n x (address, u16 port)
// 64  i64 left
// 72  i64 uploaded                          error response (8 + text)
// 80  i32 event 0 none 1 completed           0  i32 action = 3
//             2 started 3 stopped            4  i32 transaction_id
// 84  u32 ip (0 = sender's address)          8  message, rest of the datagram
// 88  u32 key
// 92  i32 num_want (-1 = tracker default)
// 96  u16 port

/// <summary>Writes BEP 15 requests and reads its replies; pure functions over spans.</summary>
internal static class UdpTrackerMessages
{
    public const long ProtocolId = 0x41727101980;
    public const int ActionConnect = 0;
    public const int ActionAnnounce = 1;
    public const int ActionError = 3;

    public const int ConnectRequestSize = 16;
    public const int ConnectResponseSize = 16;
    public const int AnnounceRequestSize = 98;
    public const int AnnounceResponseHeaderSize = 20;
    public const int HeaderSize = 8;

    public static void WriteConnectRequest(Span<byte> destination, int transactionId)
    {
        BinaryPrimitives.WriteInt64BigEndian(destination, ProtocolId);
        BinaryPrimitives.WriteInt32BigEndian(destination[8..], ActionConnect);
        BinaryPrimitives.WriteInt32BigEndian(destination[12..], transactionId);
    }

    public static void WriteAnnounceRequest(
        Span<byte> destination, long connectionId, int transactionId, in AnnounceRequest request, uint key)
    {
        BinaryPrimitives.WriteInt64BigEndian(destination, connectionId);
        BinaryPrimitives.WriteInt32BigEndian(destination[8..], ActionAnnounce);
        BinaryPrimitives.WriteInt32BigEndian(destination[12..], transactionId);
        request.InfoHash.CopyTo(destination[16..36]);
        request.PeerId.Span.CopyTo(destination[36..56]);
        BinaryPrimitives.WriteInt64BigEndian(destination[56..], request.Downloaded);
        BinaryPrimitives.WriteInt64BigEndian(destination[64..], request.Left);
        BinaryPrimitives.WriteInt64BigEndian(destination[72..], request.Uploaded);
        BinaryPrimitives.WriteInt32BigEndian(destination[80..], ToWire(request.Event));
        BinaryPrimitives.WriteUInt32BigEndian(destination[84..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(destination[88..], key);
        BinaryPrimitives.WriteInt32BigEndian(destination[92..], request.NumWant);
        BinaryPrimitives.WriteUInt16BigEndian(destination[96..], (ushort)request.Port);
    }

    /// <summary>BEP 15 numbers events differently from our enum (and from BEP 3's order).</summary>
    public static int ToWire(TrackerEvent trackerEvent) => trackerEvent switch
    {
        TrackerEvent.Completed => 1,
        TrackerEvent.Started => 2,
        TrackerEvent.Stopped => 3,
        _ => 0,
    };

    /// <summary>False for datagrams too short to carry an action and a transaction id; callers drop those.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> datagram, out int action, out int transactionId)
    {
        if (datagram.Length < HeaderSize)
        {
            action = 0;
            transactionId = 0;
            return false;
        }
        action = BinaryPrimitives.ReadInt32BigEndian(datagram);
        transactionId = BinaryPrimitives.ReadInt32BigEndian(datagram[4..]);
        return true;
    }

    public static long ReadConnectResponse(ReadOnlySpan<byte> datagram)
    {
        // BEP 15: "Check whether the packet is at least 16 bytes"; extra bytes are allowed.
        if (datagram.Length < ConnectResponseSize)
        {
            throw new InvalidDataException($"connect response of {datagram.Length} bytes, expected {ConnectResponseSize}");
        }
        return BinaryPrimitives.ReadInt64BigEndian(datagram[8..]);
    }

    public static AnnounceResponse ReadAnnounceResponse(ReadOnlySpan<byte> datagram, bool ipv6, int maxPeers)
    {
        if (datagram.Length < AnnounceResponseHeaderSize)
        {
            throw new InvalidDataException($"announce response of {datagram.Length} bytes, expected at least {AnnounceResponseHeaderSize}");
        }
        int interval = BinaryPrimitives.ReadInt32BigEndian(datagram[8..]);
        int leechers = BinaryPrimitives.ReadInt32BigEndian(datagram[12..]);
        int seeders = BinaryPrimitives.ReadInt32BigEndian(datagram[16..]);
        if (interval < 0 || leechers < 0 || seeders < 0)
        {
            throw new InvalidDataException($"negative interval or counts ({interval}, {leechers}, {seeders})");
        }
        var peers = new List<IPEndPoint>();
        // The address family of the tracker socket decides the entry size (BEP 15's IPv6 note).
        ReadOnlySpan<byte> entries = datagram[AnnounceResponseHeaderSize..];
        if (ipv6)
        {
            CompactPeers.ReadIPv6(entries, peers, maxPeers);
        }
        else
        {
            CompactPeers.ReadIPv4(entries, peers, maxPeers);
        }
        return new AnnounceResponse(peers, TimeSpan.FromSeconds(interval), null, seeders, leechers, null, null);
    }

    public static string ReadErrorMessage(ReadOnlySpan<byte> datagram)
    {
        string message = TrackerResponseParser.DecodeText(datagram[HeaderSize..]);
        // An empty reason would read as "no failure"; keep the refusal visible.
        return message.Length == 0 ? "tracker returned an error without a message" : message;
    }
}
