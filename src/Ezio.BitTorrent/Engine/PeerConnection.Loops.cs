using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using Ezio.BitTorrent.Compression;
using Ezio.BitTorrent.PeerWire;
using Ezio.BitTorrent.Storage;

namespace Ezio.BitTorrent.Engine;

internal sealed partial class PeerConnection
{
    private async Task ReceiveLoopAsync()
    {
        var completed = new List<PieceDownload>();
        var hashedPosted = false;
        var token = _cts.Token;
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync(token).ConfigureAwait(false);
                var buffer = result.Buffer;
                SwarmEvent.FromPeer? batch = null;
                lock (_sync)
                {
                    while (PeerMessageReader.TryRead(ref buffer, _limits, out var message))
                    {
                        Handle(message, ref batch, completed);
                    }
                    // Still this peer's until the swarm loop hears they were hashed.
                    foreach (var download in completed)
                    {
                        _unheard.Add(download.Index);
                    }
                }
                _reader.AdvanceTo(buffer.Start, buffer.End);
                Interlocked.Exchange(ref _lastReceiveTicks, _session.Time.GetTimestamp());

                // Hash outside the lock so the send loop keeps requesting meanwhile.
                foreach (var download in completed)
                {
                    var ok = Verify(download);
                    download.HashFailed = !ok;
                    if (ok && download.Compressed is { } compressed)
                    {
                        _session.CompressedCache.Adopt(download.Index, compressed, download.CompressedEncoding);
                        download.Compressed = null;
                    }
                    (batch ??= new SwarmEvent.FromPeer(this)).Events.Add(new PeerEvent(PeerEventKind.Hashed, download.Index, ok, Download: download));
                }
                lock (_sync)
                {
                    TopUpRequests(ref batch);
                }
                // The swarm loop must hear "hashed" before the disk writer says "stored". From
                // here on the swarm loop owns the buffers of pieces that failed their hash.
                if (batch is not null)
                {
                    _session.Post(batch);
                }
                hashedPosted = true;
                completed.RemoveAll(d => d.HashFailed);
                while (completed.Count > 0)
                {
                    var download = completed[^1];
                    // Bounded: when the disk is behind, this waits and the socket stops being read.
                    await _session.EnqueueWriteAsync(download, token).ConfigureAwait(false);
                    completed.RemoveAt(completed.Count - 1);
                }
                hashedPosted = false;
                if (result.IsCompleted)
                {
                    Abort(CloseReason.RemoteClosed);
                    return;
                }
            }
        }
        catch (PeerProtocolException e)
        {
            Abort(CloseReason.ProtocolError, e.Message);
        }
        catch (OperationCanceledException)
        {
            Abort(CloseReason.ConnectionLost, "cancelled");
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            Abort(CloseReason.ConnectionLost, e.Message);
        }
        finally
        {
            // Pieces still in hand go back to the swarm loop, which owns their bookkeeping.
            if (completed.Count > 0)
            {
                var leftover = new SwarmEvent.FromPeer(this);
                foreach (var download in completed)
                {
                    var kind = hashedPosted ? PeerEventKind.Abandoned : PeerEventKind.Released;
                    leftover.Events.Add(new PeerEvent(kind, download.Index, Download: download));
                }
                _session.Post(leftover);
            }
            await _reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private bool Verify(PieceDownload download) =>
        _session.Torrent.VerifyPiece(download.Index, download.Buffer.Span[..download.Length]);

    // Called under _sync with one parsed message.
    private void Handle(in PeerMessage message, ref SwarmEvent.FromPeer? batch, List<PieceDownload> completed)
    {
        switch (message.Id)
        {
            case MessageId.KeepAlive:
                break;
            case MessageId.Piece:
                OnBlock(message, completed);
                break;
            case MessageId.Request:
                OnRequest(message);
                break;
            case MessageId.Cancel:
            case MessageId.Port:
            case MessageId.SuggestPiece:
            case MessageId.AllowedFast:
                // Cancel is best effort (BEP 3); the block may already be on the wire.
                break;
            case MessageId.Choke:
                _peerChoking = true;
                // Without the fast extension a choke drops every pending request; with it the
                // peer should reject them one by one, but a LAN seeder that chokes us is rare
                // enough that handing the pieces to other peers right away is simplest.
                ReleaseAll(ref batch);
                Add(ref batch, new PeerEvent(PeerEventKind.Choke));
                break;
            case MessageId.Unchoke:
                _peerChoking = false;
                Add(ref batch, new PeerEvent(PeerEventKind.Unchoke));
                break;
            case MessageId.Interested:
                Add(ref batch, new PeerEvent(PeerEventKind.Interested));
                break;
            case MessageId.NotInterested:
                Add(ref batch, new PeerEvent(PeerEventKind.NotInterested));
                break;
            case MessageId.Have:
                Add(ref batch, new PeerEvent(PeerEventKind.Have, message.Index));
                break;
            case MessageId.Bitfield:
                Add(ref batch, new PeerEvent(PeerEventKind.Bitfield, Data: message.Payload.ToArray()));
                break;
            case MessageId.HaveAll:
                Add(ref batch, new PeerEvent(PeerEventKind.HaveAll));
                break;
            case MessageId.HaveNone:
                Add(ref batch, new PeerEvent(PeerEventKind.HaveNone));
                break;
            case MessageId.RejectRequest:
                Release(message.Index, ref batch);
                break;
            case MessageId.Extended:
                OnExtended(message, ref batch, completed);
                break;
            default:
                break;
        }
    }

    private void Add(ref SwarmEvent.FromPeer? batch, in PeerEvent item) => (batch ??= new SwarmEvent.FromPeer(this)).Events.Add(item);

    private void OnBlock(in PeerMessage message, List<PieceDownload> completed)
    {
        foreach (var download in _downloads)
        {
            if (download.Index != message.Index)
            {
                continue;
            }
            if (!download.TryAccept(message.Begin, message.Payload))
            {
                break;
            }
            Interlocked.Add(ref _downloaded, message.Length);
            _session.CountDownloaded(message.Length);
            Interlocked.Exchange(ref _lastBlockTicks, _session.Time.GetTimestamp());
            if (download.IsComplete)
            {
                _downloads.Remove(download);
                completed.Add(download);
            }
            return;
        }
        Interlocked.Add(ref _wasted, message.Length);
    }

    private void OnRequest(in PeerMessage message)
    {
        var torrent = _session.Torrent;
        if ((long)message.Begin + message.Length > torrent.GetPieceSize(message.Index))
        {
            throw new PeerProtocolException(PeerProtocolError.BadLength,
                $"request for {message.Length} bytes at {message.Begin} runs past the end of piece {message.Index}.");
        }
        if (_amChoking || !_session.LocalHave[message.Index] || Volatile.Read(ref _queuedUploads) >= MaxQueuedUploads)
        {
            if (SupportsFast)
            {
                Send(Outgoing.Reject(message.Index, message.Begin, message.Length));
            }
            return;
        }
        Interlocked.Increment(ref _queuedUploads);
        Send(Outgoing.Block(message.Index, message.Begin, message.Length));
    }

    private void OnExtended(in PeerMessage message, ref SwarmEvent.FromPeer? batch, List<PieceDownload> completed)
    {
        if (message.ExtendedId == ZPieceMessage.LocalId && _session.Options.Codec is not null)
        {
            OnZPiece(message, ref batch, completed);
            return;
        }
        if (message.ExtendedId != 0)
        {
            return;
        }
        var handshake = ExtensionHandshake.Parse(message.Payload.ToArray());
        Client = handshake.Client;
        if (handshake.ListenPort is > 0 and <= 65535 and var port)
        {
            Volatile.Write(ref _remoteListenPort, port);
        }
        if (handshake.RequestQueue is { } reqq)
        {
            _maxOutstanding = Math.Clamp(reqq, 2, 4096);
        }
        if (_session.Options.Codec is not null &&
            handshake.Extensions.TryGetValue(ZPieceMessage.ExtensionName, out var id) && id is > 0 and <= 255)
        {
            _zRemoteId = (byte)id;
        }
    }

    // Called under _sync from the receive loop.
    private void OnZPiece(in PeerMessage message, ref SwarmEvent.FromPeer? batch, List<PieceDownload> completed)
    {
        var (kind, index, encoding, payload) = ZPieceMessage.Parse(message.Payload, _session.Torrent.PieceCount);
        switch (kind)
        {
            case ZPieceMessage.Request:
                if (_amChoking || !_session.LocalHave[index] || _zRemoteId == 0 || Volatile.Read(ref _queuedUploads) >= MaxQueuedUploads)
                {
                    if (_zRemoteId != 0)
                    {
                        Send(Outgoing.Extended(_zRemoteId, ZPieceMessage.EncodeRequest(ZPieceMessage.Reject, index)));
                    }
                    return;
                }
                Interlocked.Increment(ref _queuedUploads);
                Send(Outgoing.ZPiece(_zRemoteId, index));
                return;
            case ZPieceMessage.Reject:
                Release(index, ref batch);
                return;
        }
        PieceDownload? download = null;
        foreach (var candidate in _downloads)
        {
            if (candidate.Index == index && candidate.NextRequest == candidate.BlockCount && candidate.ReceivedCount == 0)
            {
                download = candidate;
                break;
            }
        }
        if (download is null)
        {
            Interlocked.Add(ref _wasted, payload.Length);
            return;
        }
        // The compressed form is kept for relaying: copied out of the pipe once, and decoded
        // from that copy; the cache adopts the same array once the piece verifies.
        if (encoding != PieceEncoding.Raw && _session.CompressedCache.Keeps(payload.Length))
        {
            var kept = payload.ToArray();
            ZPieceCodec.Decode(_session.Options.Codec!, index, encoding, new ReadOnlySequence<byte>(kept), download.Buffer.Span[..download.Length]);
            download.Compressed = kept;
        }
        else
        {
            ZPieceCodec.Decode(_session.Options.Codec!, index, encoding, payload, download.Buffer.Span[..download.Length]);
        }
        download.AcceptWhole();
        download.CompressedEncoding = encoding;
        Interlocked.Add(ref _downloaded, payload.Length);
        _session.CountDownloaded((int)payload.Length);
        _session.CountZPiece((int)payload.Length, download.Length);
        // What a piece costs on the wire from this peer, smoothed: the request budget is in
        // pieces, the rate in wire bytes.
        _zWireRatio = 0.7 * _zWireRatio + 0.3 * Math.Clamp((double)payload.Length / download.Length, 1.0 / 16, 1.0);
        Interlocked.Exchange(ref _lastBlockTicks, _session.Time.GetTimestamp());
        _downloads.Remove(download);
        completed.Add(download);
    }

    private void Release(int index, ref SwarmEvent.FromPeer? batch)
    {
        for (var i = 0; i < _downloads.Count; i++)
        {
            if (_downloads[i].Index == index)
            {
                (batch ??= new SwarmEvent.FromPeer(this)).Events.Add(new PeerEvent(PeerEventKind.Released, index, Download: _downloads[i]));
                _downloads.RemoveAt(i);
                return;
            }
        }
    }

    private void ReleaseAll(ref SwarmEvent.FromPeer? batch)
    {
        batch ??= new SwarmEvent.FromPeer(this);
        foreach (var download in _downloads)
        {
            batch.Events.Add(new PeerEvent(PeerEventKind.Released, download.Index, Download: download));
        }
        _downloads.Clear();
    }

    private async Task SendLoopAsync()
    {
        var token = _cts.Token;
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
            Abort(CloseReason.ConnectionLost, "cancelled");
        }
        catch (StorageException e)
        {
            Abort(CloseReason.StorageReadFailed, e.Message);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            Abort(CloseReason.ConnectionLost, e.Message);
        }
        finally
        {
            await _writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    // Blocks go to the socket in chunks of this much: large enough for few system calls,
    // small enough that urgent messages wait little behind a chunk.
    private const int FlushBytes = 64 * 1024;

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
        Interlocked.Exchange(ref _lastSendTicks, _session.Time.GetTimestamp());
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
                    Interlocked.Decrement(ref _queuedUploads);
                    span = _writer.GetSpan(PeerMessageWriter.PieceHeaderLength + message.Length);
                    PeerMessageWriter.WritePieceHeader(span, message.Index, message.Begin, message.Length);
                    var offset = (long)message.Index * _session.Torrent.PieceLength + message.Begin;
                    _session.Storage.Read(offset, span.Slice(PeerMessageWriter.PieceHeaderLength, message.Length));
                    _writer.Advance(PeerMessageWriter.PieceHeaderLength + message.Length);
                    Interlocked.Add(ref _uploaded, message.Length);
                    _session.CountUploaded(message.Length);
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
                    Interlocked.Decrement(ref _queuedUploads);
                    var length = _session.ZPieces!.WriteFrame(_writer, message.ExtendedId, message.Index);
                    Interlocked.Add(ref _uploaded, length);
                    _session.CountUploaded(length);
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
