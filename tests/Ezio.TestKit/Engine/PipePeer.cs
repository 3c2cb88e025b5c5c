using System.Buffers;
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
public sealed class PipePeer : IAsyncDisposable
{
    private readonly IDuplexPipe _pipe;
    private readonly WireLimits _limits;
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    private PipePeer(IDuplexPipe pipe, Torrent torrent)
    {
        _pipe = pipe;
        _limits = new WireLimits(torrent.PieceCount, MaxExtendedLength: torrent.PieceLength + 64);
        Torrent = torrent;
    }

    public Torrent Torrent { get; }

    /// <summary>
    /// Joins <paramref name="session"/> (handshakes with the fast extension and BEP 10 on),
    /// then sends our extension handshake. <paramref name="port"/> names the peer's end;
    /// <paramref name="receiveBuffer"/>, when set, bounds what the session writes ahead of our
    /// reading; with <paramref name="sendsWaitForRead"/> each send returns once the session has read it.
    /// </summary>
    public static async Task<PipePeer> JoinAsync(TorrentSession session, Torrent torrent, CancellationToken token, int port = 40000, int? requestQueue = null,
        IReadOnlyDictionary<string, int>? extensions = null, long receiveBuffer = 0, bool sendsWaitForRead = false)
    {
        var (ours, theirs) = MemoryLink.CreatePair(receiveBuffer, sendsWaitForRead);
        var joining = session.JoinAsync(new PeerLink(ours, new IPEndPoint(IPAddress.Loopback, port)), outgoing: false, token);
        var peerId = "-FK0001-"u8.ToArray().Concat(Guid.NewGuid().ToByteArray()[..12]).ToArray();
        var buffer = new byte[Handshake.Length];
        new Handshake(torrent.InfoHash, peerId, SupportsExtensions: true, SupportsFast: true).WriteTo(buffer);
        await theirs.Output.WriteAsync(buffer, token);
        var result = await theirs.Input.ReadAtLeastAsync(Handshake.Length, token);
        var handshake = result.Buffer.Slice(0, Handshake.Length);
        Handshake.Parse(handshake.ToArray());
        theirs.Input.AdvanceTo(handshake.End);
        await joining;
        var peer = new PipePeer(theirs, torrent);
        await peer.SendExtendedAsync(0, new ExtensionHandshake(extensions ?? new Dictionary<string, int>(), null, requestQueue, "fake").Encode(), token);
        return peer;
    }

    public Task SendSimpleAsync(MessageId id, CancellationToken token) =>
        SendAsync(PeerMessageWriter.SimpleLength, span => PeerMessageWriter.WriteSimple(span, id), token);

    public Task SendHaveAsync(int index, CancellationToken token) =>
        SendAsync(PeerMessageWriter.HaveLength, span => PeerMessageWriter.WriteIndex(span, MessageId.Have, index), token);

    /// <summary>Have messages for every index, in one write (the session reads them in one pass).</summary>
    public Task SendHavesAsync(IReadOnlyList<int> indices, CancellationToken token) =>
        SendAsync(PeerMessageWriter.HaveLength * indices.Count, span =>
        {
            var written = 0;
            foreach (var index in indices)
            {
                written += PeerMessageWriter.WriteIndex(span[written..], MessageId.Have, index);
            }
            return written;
        }, token);

    public Task SendRequestAsync(int index, int begin, int length, CancellationToken token) =>
        SendAsync(PeerMessageWriter.RequestLength, span => PeerMessageWriter.WriteRequest(span, MessageId.Request, index, begin, length), token);

    /// <summary>Answers a request with the block cut from <paramref name="data"/> (the torrent's content).</summary>
    public Task SendBlockAsync(byte[] data, int index, int begin, int length, CancellationToken token) =>
        SendAsync(PeerMessageWriter.PieceHeaderLength + length, span =>
        {
            PeerMessageWriter.WritePieceHeader(span, index, begin, length);
            data.AsSpan((int)((long)index * Torrent.PieceLength + begin), length).CopyTo(span[PeerMessageWriter.PieceHeaderLength..]);
            return PeerMessageWriter.PieceHeaderLength + length;
        }, token);

    public Task SendExtendedAsync(byte extendedId, byte[] body, CancellationToken token) =>
        SendAsync(6 + body.Length, span =>
        {
            PeerMessageWriter.WriteExtendedHeader(span, extendedId, body.Length);
            body.CopyTo(span[6..]);
            return 6 + body.Length;
        }, token);

    private async Task SendAsync(int length, Func<Span<byte>, int> write, CancellationToken token)
    {
        await _sendLock.WaitAsync(token);
        try
        {
            var written = write(_pipe.Output.GetSpan(length));
            _pipe.Output.Advance(written);
            await _pipe.Output.FlushAsync(token);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>The next message, or null when the session closed the connection.</summary>
    public async Task<WireMessage?> ReceiveAsync(CancellationToken token)
    {
        while (true)
        {
            var result = await _pipe.Input.ReadAsync(token);
            var buffer = result.Buffer;
            if (PeerMessageReader.TryRead(ref buffer, _limits, out var message))
            {
                var received = new WireMessage(message.Id, message.Index, message.Begin, message.Length, message.ExtendedId, message.Payload.ToArray());
                _pipe.Input.AdvanceTo(buffer.Start);
                return received;
            }
            _pipe.Input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    /// <summary>Receives until a message passes <paramref name="match"/>; throws when the connection closes first.</summary>
    public async Task<WireMessage> ReceiveUntilAsync(Func<WireMessage, bool> match, CancellationToken token)
    {
        while (await ReceiveAsync(token) is { } message)
        {
            if (match(message))
            {
                return message;
            }
        }
        throw new IOException("the session closed the connection");
    }

    /// <summary>A whole piece as ezio_zpiece under the session's id for it, <paramref name="payload"/> already encoded as <paramref name="encoding"/> says.</summary>
    public Task SendZPieceAsync(byte extendedId, int index, PieceEncoding encoding, ReadOnlyMemory<byte> payload, CancellationToken token)
    {
        var body = new byte[ZPieceMessage.PieceHeaderLength + payload.Length];
        ZPieceMessage.WritePieceHeader(body, index, encoding);
        payload.Span.CopyTo(body.AsSpan(ZPieceMessage.PieceHeaderLength));
        return SendExtendedAsync(extendedId, body, token);
    }

    /// <summary>
    /// Hands every message to <paramref name="handle"/> until the session closes the link or
    /// <paramref name="token"/> is cancelled, both of which end it quietly.
    /// </summary>
    public async Task RunAsync(Func<WireMessage, Task> handle, CancellationToken token)
    {
        try
        {
            while (await ReceiveAsync(token) is { } message)
            {
                await handle(message);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _pipe.Input.CompleteAsync();
        await _pipe.Output.CompleteAsync();
        _sendLock.Dispose();
    }
}
