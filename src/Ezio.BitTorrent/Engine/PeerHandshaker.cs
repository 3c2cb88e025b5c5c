using System.Net;
using System.Net.Sockets;
using Ezio.BitTorrent.PeerWire;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// Opens connections for a session: dials peers, answers connections a listener took in, and
/// joins in-memory links (tests). Each ends by posting the connection to the swarm loop, which
/// decides whether it stays; a dial that fails posts that instead.
/// </summary>
internal sealed class PeerHandshaker
{
    private readonly TorrentSession _session;
    private readonly CancellationToken _stopping;

    public PeerHandshaker(TorrentSession session, CancellationToken stopping)
    {
        _session = session;
        _stopping = stopping;
    }

    private Handshake Local() => new(_session.Torrent.InfoHash, _session.PeerId, SupportsExtensions: true, SupportsFast: true);

    /// <summary>A connection whose handshake a listener read, for our torrent: answer and join.</summary>
    public async Task AcceptAsync(Socket socket, NetworkStream stream, Handshake remote, CancellationToken cancellationToken)
    {
        var buffer = new byte[Handshake.Length];
        Local().WriteTo(buffer);
        await stream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        _session.Post(new SwarmEvent.PeerConnected(new PeerConnection(_session, PeerLink.FromSocket(socket, stream), remote, outgoing: false)));
    }

    /// <summary>A transport on which nothing was said yet: both handshakes go over it first.</summary>
    public async Task JoinAsync(PeerLink link, bool outgoing, CancellationToken cancellationToken)
    {
        var buffer = new byte[Handshake.Length];
        Local().WriteTo(buffer);
        await link.Pipe.Output.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        var input = link.Pipe.Input;
        var result = await input.ReadAtLeastAsync(Handshake.Length, cancellationToken).ConfigureAwait(false);
        if (result.Buffer.Length < Handshake.Length)
        {
            throw new PeerProtocolException(PeerProtocolError.BadLength, "the peer closed during the handshake.");
        }
        var bytes = result.Buffer.Slice(0, Handshake.Length);
        var remote = Handshake.Parse(System.Buffers.BuffersExtensions.ToArray(bytes));
        input.AdvanceTo(bytes.End);
        if (remote.InfoHash != _session.Torrent.InfoHash)
        {
            throw new PeerProtocolException(PeerProtocolError.WrongInfoHash, "the peer answered for another torrent.");
        }
        _session.Post(new SwarmEvent.PeerConnected(new PeerConnection(_session, link, remote, outgoing)));
    }

    /// <summary>Dials a peer within the connect timeout; posts the connection or the failure.</summary>
    public async Task DialAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        PeerSocket.Tune(socket);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
            timeout.CancelAfter(_session.Options.ConnectTimeout);
            await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
            var stream = new NetworkStream(socket, ownsSocket: false);
            var buffer = new byte[Handshake.Length];
            Local().WriteTo(buffer);
            await stream.WriteAsync(buffer, timeout.Token).ConfigureAwait(false);
            await stream.ReadExactlyAsync(buffer, timeout.Token).ConfigureAwait(false);
            var remote = Handshake.Parse(buffer);
            if (remote.InfoHash != _session.Torrent.InfoHash)
            {
                throw new PeerProtocolException(PeerProtocolError.WrongInfoHash, "the peer answered for another torrent.");
            }
            _session.Post(new SwarmEvent.PeerConnected(new PeerConnection(_session, PeerLink.FromSocket(socket, stream), remote, outgoing: true)));
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or PeerProtocolException)
        {
            socket.Dispose();
            _session.Post(new SwarmEvent.DialFailed(endPoint));
        }
    }
}
