using System.Net;
using System.Net.Sockets;
using Ezio.BitTorrent.Picking;
using Ezio.BitTorrent.PeerWire;

namespace Ezio.BitTorrent.Engine;

public sealed partial class TorrentSession
{
    private const int OurRequestQueue = 2048;

    /// <summary>
    /// Takes over a connection whose handshake a listener has read and whose info-hash is
    /// ours: answers the handshake and joins the peer to the swarm.
    /// </summary>
    internal async Task AcceptAsync(Socket socket, NetworkStream stream, Handshake remote, CancellationToken cancellationToken)
    {
        var buffer = new byte[Handshake.Length];
        LocalHandshake().WriteTo(buffer);
        await stream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        Post(new SwarmEvent.PeerConnected(new PeerConnection(this, PeerLink.FromSocket(socket, stream), remote, outgoing: false)));
    }

    /// <summary>
    /// Joins a peer over a transport on which nothing was said yet (in-memory links in tests):
    /// both handshakes are exchanged over it first.
    /// </summary>
    internal async Task JoinAsync(PeerLink link, bool outgoing, CancellationToken cancellationToken)
    {
        var buffer = new byte[Handshake.Length];
        LocalHandshake().WriteTo(buffer);
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
        if (remote.InfoHash != Torrent.InfoHash)
        {
            throw new PeerProtocolException(PeerProtocolError.WrongInfoHash, "the peer answered for another torrent.");
        }
        Post(new SwarmEvent.PeerConnected(new PeerConnection(this, link, remote, outgoing)));
    }

    private Handshake LocalHandshake() => new(Torrent.InfoHash, PeerId, SupportsExtensions: true, SupportsFast: true);

    private void DialCandidates()
    {
        if (_state is SessionState.Failed or SessionState.Stopped)
        {
            return;
        }
        foreach (var endPoint in _dialer.TakeDue(_peers.Count, Options.MaxConnections, e => _bans.IsBanned(e) || IsSelf(e) || IsConnectedTo(e)))
        {
            _ = DialAsync(endPoint);
        }
    }

    private bool IsSelf(IPEndPoint endPoint) =>
        Options.ListenPort != 0 && endPoint.Port == Options.ListenPort &&
        (IPAddress.IsLoopback(endPoint.Address) || endPoint.Address.Equals(IPAddress.Any));

    // Connected already: dialled at that endpoint, or dialled us from that address and said
    // in its extension handshake that it listens on that port. A tracker lists every machine
    // by its listening port, and the machines that dialled a seed show it other ports; dialling
    // them again would only make a duplicate, and dropping a duplicate may drop the connection
    // that carries pieces in flight, which a super-seed then hands out a second time.
    private bool IsConnectedTo(IPEndPoint endPoint)
    {
        var address = Plain(endPoint.Address);
        foreach (var peer in _peers)
        {
            if (peer.RemoteEndPoint.Equals(endPoint) ||
                (peer.RemoteListenPort == endPoint.Port && Plain(peer.RemoteEndPoint.Address).Equals(address)))
            {
                return true;
            }
        }
        return false;

        static IPAddress Plain(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;
    }

    private async Task DialAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        PeerSocket.Tune(socket);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(Options.ConnectTimeout);
            await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
            var stream = new NetworkStream(socket, ownsSocket: false);
            var buffer = new byte[Handshake.Length];
            LocalHandshake().WriteTo(buffer);
            await stream.WriteAsync(buffer, timeout.Token).ConfigureAwait(false);
            await stream.ReadExactlyAsync(buffer, timeout.Token).ConfigureAwait(false);
            var remote = Handshake.Parse(buffer);
            if (remote.InfoHash != Torrent.InfoHash)
            {
                throw new PeerProtocolException(PeerProtocolError.WrongInfoHash, "the peer answered for another torrent.");
            }
            Post(new SwarmEvent.PeerConnected(new PeerConnection(this, PeerLink.FromSocket(socket, stream), remote, outgoing: true)));
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or PeerProtocolException)
        {
            socket.Dispose();
            Post(new SwarmEvent.DialFailed(endPoint));
        }
    }

    private void OnPeerConnected(PeerConnection peer)
    {
        _dialer.Connected(peer.RemoteEndPoint);
        if (_state is SessionState.Failed or SessionState.Stopped)
        {
            peer.Abort(CloseReason.SessionStopped);
            return;
        }
        if (peer.PeerId.AsSpan().SequenceEqual(PeerId))
        {
            peer.Abort(CloseReason.ConnectedToSelf);
            return;
        }
        if (_bans.IsBanned(peer.PeerId, peer.RemoteEndPoint))
        {
            peer.Abort(CloseReason.Banned);
            return;
        }
        // A suspect that dials again stays on one piece at a time.
        peer.HashFailures = _bans.StrikesOf(peer.PeerId, peer.RemoteEndPoint);
        foreach (var existing in _peers)
        {
            if (!existing.PeerId.AsSpan().SequenceEqual(peer.PeerId))
            {
                continue;
            }
            // Both sides dialled each other: keep the connection opened by the lower peer id,
            // so both ends drop the same one.
            var weAreLower = PeerId.AsSpan().SequenceCompareTo(peer.PeerId) < 0;
            var keepNew = existing.IsOutgoing != peer.IsOutgoing && peer.IsOutgoing == weAreLower;
            if (!keepNew)
            {
                peer.Abort(CloseReason.Duplicate);
                return;
            }
            existing.Abort(CloseReason.Duplicate);
            break;
        }
        if (_peers.Count >= Options.MaxConnections)
        {
            peer.Abort(CloseReason.TooManyConnections);
            return;
        }
        lock (_peers)
        {
            _peers.Add(peer);
            _peerCount = _peers.Count;
        }
        peer.Registered = true;
        TorrentSessionLog.PeerConnected(Options.Logger, peer.RemoteEndPoint, peer.IsOutgoing ? "outgoing" : "incoming");
        SendOpening(peer);
        peer.Start();
        if (_superSeeder is { Active: true } superSeeder)
        {
            superSeeder.Allot();
        }
    }

    /// <summary>
    /// BEP 6: with the fast extension the first message must be bitfield, have all or have
    /// none; then the BEP 10 handshake.
    /// </summary>
    private void SendOpening(PeerConnection peer)
    {
        var have = _picker.Have;
        if (_superSeeder is { Active: true } superSeeder)
        {
            superSeeder.Join(peer);
            if (peer.SupportsFast)
            {
                peer.Send(Outgoing.Simple(MessageId.HaveNone));
            }
        }
        else if (have.AllTrue && peer.SupportsFast)
        {
            peer.Send(Outgoing.Simple(MessageId.HaveAll));
        }
        else if (have.AllFalse)
        {
            if (peer.SupportsFast)
            {
                peer.Send(Outgoing.Simple(MessageId.HaveNone));
            }
        }
        else
        {
            var bits = new byte[Bitfield.ByteLength(Torrent.PieceCount)];
            have.WriteTo(bits);
            peer.Send(Outgoing.Bitfield(bits));
        }
        if (peer.SupportsExtensions)
        {
            var extensions = new Dictionary<string, int>();
            if (Options.Codec is not null)
            {
                extensions[ZPieceMessage.ExtensionName] = ZPieceMessage.LocalId;
            }
            var handshake = new ExtensionHandshake(extensions, Options.ListenPort == 0 ? null : Options.ListenPort, OurRequestQueue, Options.ClientName);
            peer.Send(Outgoing.Extended(0, handshake.Encode()));
        }
    }

    private void OnPeerClosed(PeerConnection peer)
    {
        if (!peer.Registered)
        {
            _dialer.Closed(peer.RemoteEndPoint, dialledByUs: false, banned: false);
            return;
        }
        peer.Registered = false;
        TorrentSessionLog.PeerClosed(Options.Logger, peer.RemoteEndPoint, peer.CloseDescription);
        lock (_peers)
        {
            _peers.Remove(peer);
            _peerCount = _peers.Count;
        }
        Interlocked.Add(ref _wastedClosed, peer.Wasted);
        _superSeeder?.Leave(peer);
        _choker.Closed(peer);
        for (var i = 0; i < Torrent.PieceCount; i++)
        {
            if (peer.RemoteBitfield[i])
            {
                _picker.DecrementAvailability(i);
            }
        }
        foreach (var download in peer.Downloads.TakeAll())
        {
            _requester.Release(download);
        }
        // A peer that left without misbehaving may be dialled again later.
        _dialer.Closed(peer.RemoteEndPoint, peer.IsOutgoing, _bans.IsBanned(peer.RemoteEndPoint));
        RetryHungry();
    }
}
