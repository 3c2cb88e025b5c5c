using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;
using Ezio.BitTorrent.PeerWire;
using Ezio.BitTorrent.Storage;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// A connection's send loop: drains a queue with many writers (STYLE habit 2) into the pipe,
/// reading uploaded blocks from storage straight into the socket buffer.
/// </summary>
/// <remarks>
/// Any thread queues (<see cref="Send"/>); the send loop alone owns the pipe writer. Messages
/// other than block data (requests, haves, cancels, choking) jump ahead of queued blocks:
/// behind megabytes of our uploads, our requests would reach a busy peer seconds late and its
/// uplink would idle for us meanwhile.
/// </remarks>
internal sealed class PeerSender
{
    // Blocks go to the socket in chunks of this much: large enough for few system calls,
    // small enough that urgent messages wait little behind a chunk.
    private const int FlushBytes = 64 * 1024;

    private readonly PeerConnection _peer;
    private readonly TorrentSession _session;
    private readonly PipeWriter _writer;
    private readonly Channel<Outgoing> _outbox;
    private readonly ConcurrentQueue<Outgoing> _urgent = new();
    // Interlocked: any sender sets it, the send loop clears it; one wake-up queued at most.
    private int _wakePending;

    public PeerSender(PeerConnection peer, TorrentSession session, PipeWriter writer)
    {
        _peer = peer;
        _session = session;
        _writer = writer;
        _outbox = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });
    }

    /// <summary>Queues a message; false once the connection is closing.</summary>
    public bool Send(in Outgoing message)
    {
        if (!message.IsUrgent)
        {
            return _outbox.Writer.TryWrite(message);
        }
        _urgent.Enqueue(message);
        // One wake-up in the queue is enough however many urgent messages wait.
        return Interlocked.Exchange(ref _wakePending, 1) == 1 || _outbox.Writer.TryWrite(Outgoing.Wake);
    }

    /// <summary>No more messages: the loop ends once it has drained what it can.</summary>
    public void Complete() => _outbox.Writer.TryComplete();

    public async Task RunAsync()
    {
        var token = _peer.Closing;
        var reader = _outbox.Reader;
        try
        {
            while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var message))
                {
                    WriteUrgent();
                    Write(message);
                    if (_writer.UnflushedBytes >= FlushBytes)
                    {
                        await FlushAsync(token).ConfigureAwait(false);
                    }
                }
                WriteUrgent();
                await FlushAsync(token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            _peer.Abort(CloseReason.ConnectionLost, "cancelled");
        }
        catch (StorageException e)
        {
            _peer.Abort(CloseReason.StorageReadFailed, e.Message);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            _peer.Abort(CloseReason.ConnectionLost, e.Message);
        }
        finally
        {
            await _writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    private void WriteUrgent()
    {
        Volatile.Write(ref _wakePending, 0);
        while (_urgent.TryDequeue(out var message))
        {
            Write(message);
        }
    }

    private async ValueTask FlushAsync(CancellationToken token)
    {
        var result = await _writer.FlushAsync(token).ConfigureAwait(false);
        _peer.Flushed();
        if (result.IsCompleted)
        {
            throw new IOException("the peer stopped reading");
        }
    }

    private void Write(in Outgoing message)
    {
        Span<byte> span;
        switch (message.Kind)
        {
            case OutgoingKind.Block:
                {
                    _peer.UploadSent();
                    span = _writer.GetSpan(PeerMessageWriter.PieceHeaderLength + message.Length);
                    PeerMessageWriter.WritePieceHeader(span, message.Index, message.Begin, message.Length);
                    var offset = (long)message.Index * _session.Torrent.PieceLength + message.Begin;
                    _session.Storage.Read(offset, span.Slice(PeerMessageWriter.PieceHeaderLength, message.Length));
                    _writer.Advance(PeerMessageWriter.PieceHeaderLength + message.Length);
                    _peer.CountUploaded(message.Length);
                    break;
                }
            case OutgoingKind.Copied:
                {
                    _peer.UploadSent();
                    span = _writer.GetSpan(PeerMessageWriter.PieceHeaderLength + message.Length);
                    PeerMessageWriter.WritePieceHeader(span, message.Index, message.Begin, message.Length);
                    message.Data!.AsSpan(0, message.Length).CopyTo(span[PeerMessageWriter.PieceHeaderLength..]);
                    _writer.Advance(PeerMessageWriter.PieceHeaderLength + message.Length);
                    System.Buffers.ArrayPool<byte>.Shared.Return(message.Data!);
                    _peer.CountUploaded(message.Length);
                    break;
                }
            case OutgoingKind.BlockRef:
                span = _writer.GetSpan(PeerMessageWriter.RequestLength);
                _writer.Advance(PeerMessageWriter.WriteRequest(span, message.Id, message.Index, message.Begin, message.Length));
                break;
            case OutgoingKind.Indexed:
                span = _writer.GetSpan(PeerMessageWriter.HaveLength);
                _writer.Advance(PeerMessageWriter.WriteIndex(span, message.Id, message.Index));
                break;
            case OutgoingKind.Bitfield:
                {
                    var data = message.Data!;
                    span = _writer.GetSpan(5 + data.Length);
                    PeerMessageWriter.WriteBitfieldHeader(span, _session.Torrent.PieceCount);
                    data.CopyTo(span[5..]);
                    _writer.Advance(5 + data.Length);
                    break;
                }
            case OutgoingKind.ZPiece:
                {
                    _peer.UploadSent();
                    var length = _session.ZPieces!.WriteFrame(_writer, message.ExtendedId, message.Index);
                    _peer.CountUploaded(length);
                    break;
                }
            case OutgoingKind.Extended:
                {
                    var data = message.Data!;
                    span = _writer.GetSpan(6 + data.Length);
                    PeerMessageWriter.WriteExtendedHeader(span, message.ExtendedId, data.Length);
                    data.CopyTo(span[6..]);
                    _writer.Advance(6 + data.Length);
                    break;
                }
            case OutgoingKind.KeepAlive:
                span = _writer.GetSpan(PeerMessageWriter.KeepAliveLength);
                _writer.Advance(PeerMessageWriter.WriteKeepAlive(span));
                break;
            case OutgoingKind.Simple:
                span = _writer.GetSpan(PeerMessageWriter.SimpleLength);
                _writer.Advance(PeerMessageWriter.WriteSimple(span, message.Id));
                break;
            case OutgoingKind.Wake:
                break;
            default:
                throw new UnreachableException($"no writer for {message.Kind}");
        }
    }
}
