using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.PeerWire;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// Accepts incoming peers on one TCP port for any number of sessions and hands each
/// connection, after reading its handshake, to the session whose info-hash it names.
/// </summary>
public sealed class PeerListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly ConcurrentDictionary<InfoHash, TorrentSession> _sessions = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;

    public PeerListener(IPEndPoint endPoint)
    {
        _socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _socket.Bind(endPoint);
        _socket.Listen(512);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public IPEndPoint LocalEndPoint { get; }

    public int Port => LocalEndPoint.Port;

    public void Add(TorrentSession session) => _sessions[session.InfoHash] = session;

    public void Remove(TorrentSession session) => _sessions.TryRemove(session.InfoHash, out _);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            _ = HandshakeAsync(client);
        }
    }

    private async Task HandshakeAsync(Socket client)
    {
        PeerSocket.Tune(client);
        var stream = new NetworkStream(client, ownsSocket: false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var buffer = new byte[Handshake.Length];
            await stream.ReadExactlyAsync(buffer, timeout.Token).ConfigureAwait(false);
            var remote = Handshake.Parse(buffer);
            if (!_sessions.TryGetValue(remote.InfoHash, out var session))
            {
                throw new PeerProtocolException(PeerProtocolError.WrongInfoHash, "no such torrent here.");
            }
            await session.AcceptAsync(client, stream, remote, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or PeerProtocolException or ObjectDisposedException)
        {
            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _socket.Dispose();
        await _acceptLoop.ConfigureAwait(false);
    }
}
