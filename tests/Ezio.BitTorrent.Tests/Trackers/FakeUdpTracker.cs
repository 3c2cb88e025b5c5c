using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Ezio.BitTorrent.Tests.Trackers;

/// <summary>
/// A scripted BEP 15 tracker on 127.0.0.1: the test receives each datagram and decides what to send back.
/// The client retransmits on its own timer, so when this process is slow to answer, copies of a request
/// the script has already received queue up ahead of the next request. <see cref="ReceiveAsync"/> skips
/// them (the script's reply carries their transaction id, so it answers them too); <see cref="ReceiveAnyAsync"/> does not.
/// </summary>
internal sealed class FakeUdpTracker : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly HashSet<int> _transactions = [];
    private IPEndPoint? _client;

    public Uri Announce => new($"udp://127.0.0.1:{((IPEndPoint)_udp.Client.LocalEndPoint!).Port}/announce");

    /// <summary>Receives the next request, skipping retransmissions of requests already received.</summary>
    public async Task<byte[]> ReceiveAsync()
    {
        while (true)
        {
            (byte[] datagram, bool retransmission) = await ReceiveCoreAsync();
            if (!retransmission)
            {
                return datagram;
            }
        }
    }

    /// <summary>Receives the next datagram, even a retransmission.</summary>
    public async Task<byte[]> ReceiveAnyAsync() => (await ReceiveCoreAsync()).Datagram;

    /// <summary>Waits until a datagram is queued, without receiving it.</summary>
    public bool WaitUntilQueued() => _udp.Client.Poll(Deadline, SelectMode.SelectRead);

    public Task SendAsync(byte[] datagram) => _udp.SendAsync(datagram, _client!).AsTask();

    /// <summary>Receives a connect request (a retransmitted one too) and answers it with <paramref name="connectionId"/>.</summary>
    public async Task<byte[]> AcceptConnectAsync(long connectionId)
    {
        byte[] request = await ReceiveAnyAsync();
        await SendAsync(ConnectReply(TransactionId(request), connectionId));
        return request;
    }

    /// <summary>Receives the next announce request and answers it with the given counts and peers.</summary>
    public async Task<byte[]> AcceptAnnounceAsync(int interval, int leechers, int seeders, params IPEndPoint[] peers)
    {
        byte[] request = await ReceiveAsync();
        await SendAsync(AnnounceReply(TransactionId(request), interval, leechers, seeders, peers));
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

    private async Task<(byte[] Datagram, bool Retransmission)> ReceiveCoreAsync()
    {
        using var timeout = new CancellationTokenSource(Deadline);
        UdpReceiveResult result = await _udp.ReceiveAsync(timeout.Token);
        _client = result.RemoteEndPoint;
        // Every BEP 15 request carries its transaction id at offset 12; a retransmission reuses it.
        bool retransmission = result.Buffer.Length >= 16 && !_transactions.Add(TransactionId(result.Buffer));
        return (result.Buffer, retransmission);
    }
}
