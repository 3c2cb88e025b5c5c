using System.Buffers;
using System.IO.Pipelines;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.PeerWire;

namespace Ezio.TestKit.PeerWire;

/// <summary>
/// What every fake peer does once it has a connection: handshakes, sends messages one at a
/// time (from several tasks; a lock keeps frames whole) and receives them one at a time (from
/// one task). <see cref="WirePeer"/> runs it over a loopback socket, the engine tests'
/// <c>PipePeer</c> over an in-memory link; they differ only in how a frame is written and how
/// the connection is closed.
/// </summary>
public abstract class WireEndpoint : IAsyncDisposable
{
    private readonly PipeReader _reader;
    private readonly WireLimits _limits;
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    protected WireEndpoint(PipeReader reader, Torrent torrent)
    {
        _reader = reader;
        _limits = new WireLimits(torrent.PieceCount, MaxExtendedLength: torrent.PieceLength + 64);
        Torrent = torrent;
    }

    public Torrent Torrent { get; }

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
                OnReceived(received);
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
        await CloseAsync();
        _sendLock.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Sends our handshake for <see cref="Torrent"/> (fast extension and BEP 10 on) and reads the session's.</summary>
    protected async Task ExchangeHandshakesAsync(CancellationToken token)
    {
        var peerId = "-FK0001-"u8.ToArray().Concat(Guid.NewGuid().ToByteArray()[..12]).ToArray();
        var ours = new byte[Handshake.Length];
        new Handshake(Torrent.InfoHash, peerId, SupportsExtensions: true, SupportsFast: true).WriteTo(ours);
        await WriteFrameAsync(ours, token);
        var result = await _reader.ReadAtLeastAsync(Handshake.Length, token);
        var theirs = result.Buffer.Slice(0, Handshake.Length);
        Handshake.Parse(theirs.ToArray());
        _reader.AdvanceTo(theirs.End);
    }

    /// <summary>Our BEP 10 handshake: the extensions we name and, when set, our request queue.</summary>
    protected Task SendExtensionHandshakeAsync(IReadOnlyDictionary<string, int>? extensions, int? requestQueue, CancellationToken token, bool saysSeed = false) =>
        SendExtendedAsync(0, new ExtensionHandshake(extensions ?? new Dictionary<string, int>(), null, requestQueue, "fake") { Seed = saysSeed }.Encode(), token);

    /// <summary>Called with every message received, before it is returned.</summary>
    protected virtual void OnReceived(WireMessage message)
    {
    }

    /// <summary>Writes one whole frame to the connection.</summary>
    protected abstract ValueTask WriteFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken token);

    /// <summary>Closes the connection (the reader is already completed).</summary>
    protected abstract ValueTask CloseAsync();

    private async Task SendAsync(int length, Func<Span<byte>, int> write, CancellationToken token)
    {
        var frame = new byte[length];
        var written = write(frame);
        await _sendLock.WaitAsync(token);
        try
        {
            await WriteFrameAsync(frame.AsMemory(0, written), token);
        }
        finally
        {
            _sendLock.Release();
        }
    }
}
