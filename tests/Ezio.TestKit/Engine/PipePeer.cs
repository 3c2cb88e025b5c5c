using System.IO.Pipelines;
using System.Net;
using Ezio.BitTorrent.Engine;
using Ezio.BitTorrent.Metainfo;
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
    /// then sends our extension handshake. <paramref name="port"/> names the peer's end.
    /// </summary>
    public static async Task<PipePeer> JoinAsync(TorrentSession session, Torrent torrent, CancellationToken token, int port = 40000, int? requestQueue = null)
    {
        var (ours, theirs) = MemoryLink.CreatePair();
        var joining = session.JoinAsync(new PeerLink(ours, new IPEndPoint(IPAddress.Loopback, port)), outgoing: false, token);
        var peer = new PipePeer(theirs, torrent);
        await peer.ExchangeHandshakesAsync(token);
        await joining;
        await peer.SendExtensionHandshakeAsync(extensions: null, requestQueue, token);
        return peer;
    }

    protected override async ValueTask WriteFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken token) =>
        await _pipe.Output.WriteAsync(frame, token);

    protected override ValueTask CloseAsync() => _pipe.Output.CompleteAsync();
}
