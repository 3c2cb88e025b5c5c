using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Ezio.BitTorrent.Tests.Trackers;

/// <summary>A scripted BEP 15 tracker on 127.0.0.1: the test receives each datagram and decides what to send back.</summary>
internal sealed class FakeUdpTracker : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private IPEndPoint? _client;

    public Uri Announce => new($"udp://127.0.0.1:{((IPEndPoint)_udp.Client.LocalEndPoint!).Port}/announce");

    public async Task<byte[]> ReceiveAsync()
    {
        using var timeout = new CancellationTokenSource(Deadline);
        UdpReceiveResult result = await _udp.ReceiveAsync(timeout.Token);
        _client = result.RemoteEndPoint;
        return result.Buffer;
    }

    public Task SendAsync(byte[] datagram) => _udp.SendAsync(datagram, _client!).AsTask();

    /// <summary>Receives a connect request and answers it with <paramref name="connectionId"/>.</summary>
    public async Task<byte[]> AcceptConnectAsync(long connectionId)
    {
        byte[] request = await ReceiveAsync();
        await SendAsync(ConnectReply(TransactionId(request), connectionId));
        return request;
    }

    public static int TransactionId(byte[] request) => BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(12));

    public static byte[] ConnectReply(int transactionId, long connectionId)
    {
        var reply = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(reply, 0);
        BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(4), transactionId);
        BinaryPrimitives.WriteInt64BigEndian(reply.AsSpan(8), connectionId);
        return reply;
    }

    public static byte[] AnnounceReply(int transactionId, int interval, int leechers, int seeders, params IPEndPoint[] peers)
    {
        var reply = new byte[20 + 6 * peers.Length];
        BinaryPrimitives.WriteInt32BigEndian(reply, 1);
        BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(4), transactionId);
        BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(8), interval);
        BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(12), leechers);
        BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(16), seeders);
        for (int i = 0; i < peers.Length; i++)
        {
            peers[i].Address.GetAddressBytes().CopyTo(reply, 20 + 6 * i);
            BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(24 + 6 * i), (ushort)peers[i].Port);
        }
        return reply;
    }

    public static byte[] ErrorReply(int transactionId, string message)
    {
        byte[] text = System.Text.Encoding.UTF8.GetBytes(message);
        var reply = new byte[8 + text.Length];
        BinaryPrimitives.WriteInt32BigEndian(reply, 3);
        BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(4), transactionId);
        text.CopyTo(reply, 8);
        return reply;
    }

    public void Dispose() => _udp.Dispose();
}
