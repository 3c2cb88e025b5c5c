using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Ezio.BitTorrent.Compression;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.PeerWire;

namespace Ezio.TestKit.PeerWire;

/// <summary>
/// A fake peer on a raw loopback socket: it dials a session, speaks the wire protocol one
/// message at a time and does nothing on its own, so a test decides what it asks, answers,
/// reads and when. Sends may come from several tasks; receives from one.
/// </summary>
public sealed class WirePeer : WireEndpoint
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    private WirePeer(Socket socket, NetworkStream stream, Torrent torrent)
        : base(PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)), torrent)
    {
        _socket = socket;
        _stream = stream;
    }

    /// <summary>The session's id for ezio_zpiece from its extension handshake (0 until read, or when it has none).</summary>
    public byte RemoteZPieceId { get; private set; }

    /// <summary>
    /// Connects and exchanges handshakes (fast extension and BEP 10 on), then sends our
    /// extension handshake. <paramref name="receiveBuffer"/>, when set, fixes SO_RCVBUF
    /// before connecting, so a peer that stops reading stalls the sender quickly.
    /// </summary>
    public static async Task<WirePeer> ConnectAsync(IPEndPoint endPoint, Torrent torrent, CancellationToken token,
        IReadOnlyDictionary<string, int>? extensions = null, int? requestQueue = null, int? receiveBuffer = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBuffer is { } size)
        {
            socket.ReceiveBufferSize = size;
        }
        await socket.ConnectAsync(endPoint, token);
        var peer = new WirePeer(socket, new NetworkStream(socket, ownsSocket: false), torrent);
        await peer.ExchangeHandshakesAsync(token);
        await peer.SendExtensionHandshakeAsync(extensions, requestQueue, token);
        return peer;
    }

    /// <summary>A whole piece as ezio_zpiece: <paramref name="payload"/> already encoded as <paramref name="encoding"/> says.</summary>
    public Task SendZPieceAsync(int index, PieceEncoding encoding, ReadOnlySpan<byte> payload, CancellationToken token)
    {
        var body = new byte[ZPieceMessage.PieceHeaderLength + payload.Length];
        ZPieceMessage.WritePieceHeader(body, index, encoding);
        payload.CopyTo(body.AsSpan(ZPieceMessage.PieceHeaderLength));
        return SendExtendedAsync(RemoteZPieceId, body, token);
    }

    protected override void OnReceived(WireMessage message)
    {
        if (message is { Id: MessageId.Extended, ExtendedId: 0 })
        {
            var handshake = ExtensionHandshake.Parse(message.Payload);
            RemoteZPieceId = handshake.Extensions.TryGetValue(ZPieceMessage.ExtensionName, out var id) ? (byte)id : (byte)0;
        }
    }

    protected override ValueTask WriteFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken token) => _stream.WriteAsync(frame, token);

    protected override async ValueTask CloseAsync()
    {
        _socket.Dispose();
        await _stream.DisposeAsync();
    }
}
