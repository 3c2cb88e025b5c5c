using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Ezio.BitTorrent.Trackers;

// BEP 15 https://www.bittorrent.org/beps/bep_0015.html  (wire layout in UdpTrackerMessages.cs)
//
//   client                      tracker
//     | -- connect(txn A) ------> |      retransmit after 15 * 2^n s, n = 0..8,
//     | <- connection_id(txn A) - |      but never past this announce's deadline
//     | -- announce(conn, txn B)->|      connection_id is reused for 60 s
//     | <- peers(txn B) --------- |      or error(txn B, message) => FailureReason

/// <summary>Announces over UDP. Announces on one instance are serialized; the socket and connection id are reused.</summary>
internal sealed class UdpTrackerClient : ITrackerClient
{
    internal static readonly TimeSpan DefaultBaseTimeout = TimeSpan.FromSeconds(15);

    /// <summary>BEP 15 would allow over an hour of retries; an announce that slow is useless to a deployment.</summary>
    internal static readonly TimeSpan DefaultOverallTimeout = TimeSpan.FromSeconds(60);

    /// <summary>BEP 15: a connection id may be used "until one minute after it has received it".</summary>
    private static readonly TimeSpan ConnectionIdLifetime = TimeSpan.FromSeconds(60);
    private const int MaxRetransmissions = 8;
    // The largest UDP payload; a reply cannot be bigger, so nothing is ever truncated.
    private const int ReceiveBufferSize = 65_535;

    private readonly TimeProvider _time;
    private readonly TimeSpan _baseTimeout;
    private readonly TimeSpan _overallTimeout;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly byte[] _receiveBuffer = new byte[ReceiveBufferSize];
    private readonly byte[] _sendBuffer = new byte[UdpTrackerMessages.AnnounceRequestSize];
    // BEP 15 "key": lets the tracker recognise us if our address changes; fixed for this client's life.
    private readonly uint _key = (uint)RandomNumberGenerator.GetInt32(int.MaxValue);

    private Socket? _socket;
    private long _connectionId;
    private long _connectionIdTimestamp;
    private bool _hasConnectionId;
    private bool _disposed;

    public UdpTrackerClient(Uri announce)
        : this(announce, TimeProvider.System, DefaultBaseTimeout, DefaultOverallTimeout)
    {
    }

    internal UdpTrackerClient(Uri announce, TimeProvider time, TimeSpan baseTimeout, TimeSpan overallTimeout)
    {
        if (announce.Port is <= 0 or > IPEndPoint.MaxPort)
        {
            throw new ArgumentException($"UDP tracker URL '{announce}' needs an explicit port.", nameof(announce));
        }
        Uri = announce;
        _time = time;
        _baseTimeout = baseTimeout;
        _overallTimeout = overallTimeout;
    }

    public Uri Uri { get; }

    public async Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CancellationToken cancellationToken)
    {
        AnnounceRequestValidation.Validate(request);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var overall = new CancellationTokenSource(_overallTimeout, _time);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, overall.Token);
            return await AnnounceCoreAsync(request, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TrackerException($"Tracker {Uri} did not answer within {_overallTimeout.TotalSeconds:0.#} s.", e);
        }
        catch (SocketException e)
        {
            // Typically ICMP port unreachable surfacing as ConnectionRefused: nobody listens there.
            ForgetConnection();
            throw new TrackerException($"Tracker {Uri} is unreachable: {e.SocketErrorCode} ({e.Message}).", e);
        }
        catch (InvalidDataException e)
        {
            ForgetConnection();
            throw new TrackerException($"Tracker {Uri} sent an invalid reply: {e.Message}", e);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _socket?.Dispose();
    }

    private async Task<AnnounceResponse> AnnounceCoreAsync(AnnounceRequest request, CancellationToken cancellationToken)
    {
        Socket socket = _socket ??= await OpenSocketAsync(cancellationToken).ConfigureAwait(false);

        if (!_hasConnectionId || _time.GetElapsedTime(_connectionIdTimestamp) >= ConnectionIdLifetime)
        {
            int connectTransaction = NewTransactionId();
            UdpTrackerMessages.WriteConnectRequest(_sendBuffer, connectTransaction);
            (int action, int length) = await ExchangeAsync(
                socket, _sendBuffer.AsMemory(0, UdpTrackerMessages.ConnectRequestSize), connectTransaction, cancellationToken)
                .ConfigureAwait(false);
            if (action == UdpTrackerMessages.ActionError)
            {
                return Refused(UdpTrackerMessages.ReadErrorMessage(_receiveBuffer.AsSpan(0, length)));
            }
            ExpectAction(action, UdpTrackerMessages.ActionConnect);
            _connectionId = UdpTrackerMessages.ReadConnectResponse(_receiveBuffer.AsSpan(0, length));
            _connectionIdTimestamp = _time.GetTimestamp();
            _hasConnectionId = true;
        }

        int announceTransaction = NewTransactionId();
        UdpTrackerMessages.WriteAnnounceRequest(_sendBuffer, _connectionId, announceTransaction, request, _key);
        (int replyAction, int replyLength) = await ExchangeAsync(
            socket, _sendBuffer.AsMemory(0, UdpTrackerMessages.AnnounceRequestSize), announceTransaction, cancellationToken)
            .ConfigureAwait(false);
        if (replyAction == UdpTrackerMessages.ActionError)
        {
            // The commonest error is an expired or unknown connection id; start over next time.
            ForgetConnection();
            return Refused(UdpTrackerMessages.ReadErrorMessage(_receiveBuffer.AsSpan(0, replyLength)));
        }
        ExpectAction(replyAction, UdpTrackerMessages.ActionAnnounce);
        bool ipv6 = socket.AddressFamily == AddressFamily.InterNetworkV6;
        return UdpTrackerMessages.ReadAnnounceResponse(
            _receiveBuffer.AsSpan(0, replyLength), ipv6, TrackerResponseParser.MaxPeers);
    }

    /// <summary>
    /// Sends <paramref name="datagram"/> and waits for a reply carrying <paramref name="transactionId"/>,
    /// retransmitting on BEP 15's schedule. Datagrams with another transaction id are ignored.
    /// </summary>
    private async Task<(int Action, int Length)> ExchangeAsync(
        Socket socket, ReadOnlyMemory<byte> datagram, int transactionId, CancellationToken cancellationToken)
    {
        for (int n = 0; ; n++)
        {
            await socket.SendAsync(datagram, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            using var attempt = new CancellationTokenSource(_baseTimeout * (1 << n), _time);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, attempt.Token);
            try
            {
                while (true)
                {
                    int length = await socket.ReceiveAsync(_receiveBuffer, SocketFlags.None, wait.Token).ConfigureAwait(false);
                    if (UdpTrackerMessages.TryReadHeader(_receiveBuffer.AsSpan(0, length), out int action, out int received)
                        && received == transactionId)
                    {
                        return (action, length);
                    }
                    // A late reply to an earlier attempt, or noise: not ours, keep waiting.
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && n < MaxRetransmissions)
            {
                // This attempt timed out; fall through and retransmit with a doubled timeout.
            }
        }
    }

    private async Task<Socket> OpenSocketAsync(CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(Uri.IdnHost, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new TrackerException($"Tracker {Uri} host cannot be resolved: {e.SocketErrorCode}.", e);
        }
        // IPv4 first: BEP 15 replies carry IPv4 peers only over IPv4, and most swarms live there.
        IPAddress? address = Array.Find(addresses, a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? Array.Find(addresses, a => a.AddressFamily == AddressFamily.InterNetworkV6);
        if (address is null)
        {
            throw new TrackerException($"Tracker {Uri} host has no IP address.");
        }
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            // A connected UDP socket makes the kernel drop datagrams from any other source.
            await socket.ConnectAsync(new IPEndPoint(address, Uri.Port), cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void ExpectAction(int action, int expected)
    {
        if (action != expected)
        {
            ForgetConnection();
            throw new InvalidDataException($"action {action} in reply, expected {expected}");
        }
    }

    private void ForgetConnection() => _hasConnectionId = false;

    private static int NewTransactionId() => RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);

    private static AnnounceResponse Refused(string reason) =>
        new([], TrackerResponseParser.DefaultInterval, null, null, null, reason, null);
}
