using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Ezio.BitTorrent.Compression;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.PeerWire;

namespace Ezio.TestKit.PeerWire;

/// <summary>One received peer message with its payload copied out of the socket buffer.</summary>
public readonly record struct WireMessage(MessageId Id, int Index, int Begin, int Length, byte ExtendedId, byte[] Payload);

/// <summary>
/// A fake peer on a raw loopback socket: it dials a session, speaks the wire protocol one
/// message at a time and does nothing on its own, so a test decides what it asks, answers,
/// reads and when. Sends may come from several tasks; receives from one.
/// </summary>
public sealed class WirePeer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly WireLimits _limits;
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    private WirePeer(Socket socket, NetworkStream stream, Torrent torrent)
    {
        _socket = socket;
        _stream = stream;
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        _limits = new WireLimits(torrent.PieceCount, MaxExtendedLength: torrent.PieceLength + 64);
        Torrent = torrent;
    }

    public Torrent Torrent { get; }

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
        var stream = new NetworkStream(socket, ownsSocket: false);
        var peerId = "-FK0001-"u8.ToArray().Concat(Guid.NewGuid().ToByteArray()[..12]).ToArray();
        var buffer = new byte[Handshake.Length];
        new Handshake(torrent.InfoHash, peerId, SupportsExtensions: true, SupportsFast: true).WriteTo(buffer);
        await stream.WriteAsync(buffer, token);
        await stream.ReadExactlyAsync(buffer, token);
        Handshake.Parse(buffer);
        var peer = new WirePeer(socket, stream, torrent);
        var handshake = new ExtensionHandshake(extensions ?? new Dictionary<string, int>(), null, requestQueue, "fake");
        await peer.SendExtendedAsync(0, handshake.Encode(), token);
        return peer;
    }

    public Task SendSimpleAsync(MessageId id, CancellationToken token) =>
        SendAsync(PeerMessageWriter.SimpleLength, span => PeerMessageWriter.WriteSimple(span, id), token);

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

    /// <summary>A whole piece as ezio_zpiece: <paramref name="payload"/> already encoded as <paramref name="encoding"/> says.</summary>
    public Task SendZPieceAsync(int index, PieceEncoding encoding, ReadOnlySpan<byte> payload, CancellationToken token)
    {
        var body = new byte[ZPieceMessage.PieceHeaderLength + payload.Length];
        ZPieceMessage.WritePieceHeader(body, index, encoding);
        payload.CopyTo(body.AsSpan(ZPieceMessage.PieceHeaderLength));
        return SendExtendedAsync(RemoteZPieceId, body, token);
    }

    private async Task SendAsync(int length, Func<Span<byte>, int> write, CancellationToken token)
    {
        var frame = new byte[length];
        var written = write(frame);
        await _sendLock.WaitAsync(token);
        try
        {
            await _stream.WriteAsync(frame.AsMemory(0, written), token);
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
            var result = await _reader.ReadAsync(token);
            var buffer = result.Buffer;
            if (PeerMessageReader.TryRead(ref buffer, _limits, out var message))
            {
                var received = new WireMessage(message.Id, message.Index, message.Begin, message.Length, message.ExtendedId, message.Payload.ToArray());
                _reader.AdvanceTo(buffer.Start);
                if (received is { Id: MessageId.Extended, ExtendedId: 0 })
                {
                    var handshake = ExtensionHandshake.Parse(received.Payload);
                    RemoteZPieceId = handshake.Extensions.TryGetValue(ZPieceMessage.ExtensionName, out var id) ? (byte)id : (byte)0;
                }
                return received;
            }
            _reader.AdvanceTo(buffer.Start, buffer.End);
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

    /// <summary>
    /// Hands every message to <paramref name="handle"/> until the session closes or resets
    /// the connection or <paramref name="token"/> is cancelled, all of which end it quietly.
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
        catch (IOException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync();
        _socket.Dispose();
        await _stream.DisposeAsync();
        _sendLock.Dispose();
    }
}
