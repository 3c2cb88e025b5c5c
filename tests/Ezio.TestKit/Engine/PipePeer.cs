using System.IO.Pipelines;
using System.Net;
using Ezio.BitTorrent.Compression;
using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.PeerWire;
using Ezio.TestKit.PeerWire;

namespace Ezio.TestKit.Engine;

/// <summary>
/// A fake peer joined to a session over an in-memory link: it speaks the wire protocol one
/// message at a time and does nothing on its own. Sends may come from several tasks;
/// receives from one.
/// </summary>
public sealed class PipePeer : WireEndpoint
{
    private readonly IDuplexPipe _pipe;

    private PipePeer(IDuplexPipe pipe, Torrent torrent)
        : base(pipe.Input, torrent)
    {
        _pipe = pipe;
    }

    /// <summary>
    /// Joins <paramref name="session"/> (handshakes with the fast extension and BEP 10 on),
    /// then sends our extension handshake. <paramref name="port"/> names the peer's end;
    /// <paramref name="receiveBuffer"/>, when set, bounds what the session writes ahead of our
    /// reading; with <paramref name="sendsWaitForRead"/> each send returns once the session has read it.
    /// <paramref name="address"/> is the peer's address as the session sees it (loopback when
    /// null); with <paramref name="saysSeed"/> its extension handshake says it is a seed (ezio_seed).
    /// </summary>
    public static async Task<PipePeer> JoinAsync(TorrentSession session, Torrent torrent, CancellationToken token, int port = 40000, int? requestQueue = null,
        IReadOnlyDictionary<string, int>? extensions = null, long receiveBuffer = 0, bool sendsWaitForRead = false, IPAddress? address = null, bool saysSeed = false)
    {
        var (ours, theirs) = MemoryLink.CreatePair(receiveBuffer, sendsWaitForRead);
        var joining = session.JoinAsync(new PeerLink(ours, new IPEndPoint(address ?? IPAddress.Loopback, port)), outgoing: false, token);
        var peer = new PipePeer(theirs, torrent);
        await peer.ExchangeHandshakesAsync(token);
        await joining;
        await peer.SendExtensionHandshakeAsync(extensions, requestQueue, token, saysSeed);
        return peer;
    }

    /// <summary>A whole piece as ezio_zpiece under the session's id for it, <paramref name="payload"/> already encoded as <paramref name="encoding"/> says.</summary>
    public Task SendZPieceAsync(byte extendedId, int index, PieceEncoding encoding, ReadOnlyMemory<byte> payload, CancellationToken token)
    {
        var body = new byte[ZPieceMessage.PieceHeaderLength + payload.Length];
        ZPieceMessage.WritePieceHeader(body, index, encoding);
        payload.Span.CopyTo(body.AsSpan(ZPieceMessage.PieceHeaderLength));
        return SendExtendedAsync(extendedId, body, token);
    }

    protected override async ValueTask WriteFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken token) =>
        await _pipe.Output.WriteAsync(frame, token);

    protected override ValueTask CloseAsync() => _pipe.Output.CompleteAsync();
}
