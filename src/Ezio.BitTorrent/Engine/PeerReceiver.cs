using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using Ezio.BitTorrent.Compression;
using Ezio.BitTorrent.PeerWire;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// A connection's receive loop: parses frames, copies blocks into the downloads leased to this
/// connection, hashes pieces received whole, answers requests, and posts what it learned to the
/// swarm loop, at most one batch per socket read.
/// </summary>
/// <remarks>
/// It decides nothing about what to fetch: the swarm loop hands it downloads
/// (<see cref="Hand"/>) and takes them back through their lease. Its own table of downloads is
/// private to the loop; an entry whose lease moved elsewhere is dropped when next seen.
/// </remarks>
internal sealed class PeerReceiver
{
    // Stale entries (leases taken back) are swept out past this many.
    private const int SweepAbove = 96;

    private readonly PeerConnection _peer;
    private readonly TorrentSession _session;
    private readonly PipeReader _reader;
    private readonly WireLimits _limits;
    private readonly ConcurrentQueue<PieceDownload> _handed = new();
    private readonly Dictionary<int, PieceDownload> _filling = new();
    // Set when blocks were accepted and a top-up is posted; the swarm loop clears it when it
    // tops up, so a busy connection posts one top-up per swarm-loop pass, not one per read.
    private int _topUpPosted;
    // Blocks accepted so far (this loop writes), and the count at which the next top-up is
    // worth posting (the swarm loop sets it when it tops up): a quarter of what it left in
    // flight, so a fast peer costs the swarm loop a few passes per round trip, not one per read.
    private long _accepted;
    private long _postAt;

    public PeerReceiver(PeerConnection peer, TorrentSession session, PipeReader reader)
    {
        _peer = peer;
        _session = session;
        _reader = reader;
        // A compressed piece travels as one extended message of up to a piece (plus header).
        _limits = session.Options.Codec is null
            ? new WireLimits(session.Torrent.PieceCount)
            : new WireLimits(session.Torrent.PieceCount, MaxExtendedLength: Math.Max(1 << 20, session.Torrent.PieceLength + 64));
    }

    /// <summary>Swarm loop: a download leased to this connection, before its first request goes out.</summary>
    public void Hand(PieceDownload download) => _handed.Enqueue(download);

    /// <summary>Blocks accepted so far (read by the swarm loop before it tops up).</summary>
    public long Accepted => Volatile.Read(ref _accepted);

    /// <summary>Swarm loop: it is handling this peer's batch; accepted blocks may post again.</summary>
    public void Rearm() => Volatile.Write(ref _topUpPosted, 0);

    /// <summary>
    /// Swarm loop: it topped up with <paramref name="outstanding"/> requests in flight, counted
    /// after <paramref name="acceptedBefore"/> blocks: post again once a quarter of them are in.
    /// Every one of them arrives or the connection ends, so the post cannot be missed.
    /// </summary>
    public void ToppedUp(long acceptedBefore, int outstanding) =>
        Volatile.Write(ref _postAt, acceptedBefore + Math.Max(1, outstanding / 4));

    public async Task RunAsync()
    {
        var completed = new List<PieceDownload>();
        var hashedPosted = false;
        var token = _peer.Closing;
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync(token).ConfigureAwait(false);
                var buffer = result.Buffer;
                SwarmEvent.FromPeer? batch = null;
                var accepted = false;
                // Every download handed before a request went out is here before its blocks.
                TakeHanded();
                while (PeerMessageReader.TryRead(ref buffer, _limits, out var message))
                {
                    Handle(message, ref batch, ref accepted, completed);
                }
                _reader.AdvanceTo(buffer.Start, buffer.End);
                _peer.Received();
                // What was parsed goes first, so the swarm loop tops up requests while this
                // loop hashes; the verdicts follow in a batch of their own.
                if (batch is not null ||
                    (accepted && Volatile.Read(ref _accepted) >= Volatile.Read(ref _postAt) && Interlocked.Exchange(ref _topUpPosted, 1) == 0))
                {
                    _session.Post(batch ?? new SwarmEvent.FromPeer(_peer));
                    batch = null;
                }

                foreach (var download in completed)
                {
                    var ok = _session.Torrent.VerifyPiece(download.Index, download.Buffer.Span[..download.Length]);
                    download.HashFailed = !ok;
                    if (ok && download.Compressed is { } compressed)
                    {
                        _session.CompressedCache.Adopt(download.Index, compressed, download.CompressedEncoding);
                        download.Compressed = null;
                    }
                    Add(ref batch, new PeerEvent(PeerEventKind.Hashed, download.Index, ok, Download: download));
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
                    _peer.Abort(CloseReason.RemoteClosed);
                    return;
                }
            }
        }
        catch (PeerProtocolException e)
        {
            _peer.Abort(CloseReason.ProtocolError, e.Message);
        }
        catch (OperationCanceledException)
        {
            _peer.Abort(CloseReason.ConnectionLost, "cancelled");
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            _peer.Abort(CloseReason.ConnectionLost, e.Message);
        }
        finally
        {
            // Pieces received whole and still in hand go back to the swarm loop, which owns
            // their bookkeeping; the ones still being filled it takes back by their lease.
            if (completed.Count > 0)
            {
                var leftover = new SwarmEvent.FromPeer(_peer);
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

    private void TakeHanded()
    {
        var any = false;
        while (_handed.TryDequeue(out var download))
        {
            _filling[download.Index] = download;
            any = true;
        }
        if (any && _filling.Count > SweepAbove)
        {
            var id = _peer.Id;
            foreach (var (index, download) in _filling)
            {
                if (!download.IsLeasedTo(id))
                {
                    _filling.Remove(index);
                }
            }
        }
    }

    private void Handle(in PeerMessage message, ref SwarmEvent.FromPeer? batch, ref bool accepted, List<PieceDownload> completed)
    {
        switch (message.Id)
        {
            case MessageId.KeepAlive:
                break;
            case MessageId.Piece:
                accepted |= OnBlock(message, ref batch, completed);
                break;
            case MessageId.Request:
                OnRequest(message, ref batch);
                break;
            case MessageId.Cancel:
            case MessageId.Port:
            case MessageId.SuggestPiece:
            case MessageId.AllowedFast:
                // Cancel is best effort (BEP 3); the block may already be on the wire.
                break;
            case MessageId.Choke:
                // Without the fast extension a choke drops every pending request; with it the
                // peer should reject them one by one, but a LAN seeder that chokes us is rare
                // enough that the swarm loop hands the pieces to other peers right away.
                Add(ref batch, new PeerEvent(PeerEventKind.Choke));
                break;
            case MessageId.Unchoke:
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
                Add(ref batch, new PeerEvent(PeerEventKind.Rejected, message.Index));
                break;
            case MessageId.Extended:
                accepted |= OnExtended(message, ref batch, completed);
                break;
            default:
                break;
        }
    }

    private void Add(ref SwarmEvent.FromPeer? batch, in PeerEvent item) => (batch ??= new SwarmEvent.FromPeer(_peer)).Events.Add(item);

    // True when the block was one we asked for.
    private bool OnBlock(in PeerMessage message, ref SwarmEvent.FromPeer? batch, List<PieceDownload> completed)
    {
        var id = _peer.Id;
        if (!_filling.TryGetValue(message.Index, out var download))
        {
            _peer.CountWasted(message.Length);
            return false;
        }
        if (!download.TryBeginFill(id))
        {
            // Taken back by the swarm loop (cancelled, refused, choked): forget it.
            _filling.Remove(message.Index);
            _peer.CountWasted(message.Length);
            return false;
        }
        var ok = download.TryAccept(message.Begin, message.Payload);
        var whole = ok && download.IsComplete;
        download.EndFill(id, whole);
        if (!ok)
        {
            _peer.CountWasted(message.Length);
            return false;
        }
        _peer.CountBlock(message.Length);
        Volatile.Write(ref _accepted, _accepted + 1);
        if (download.RelayWaiting)
        {
            // Requests wait for blocks of this piece on the relay board: this one may be theirs.
            Add(ref batch, new PeerEvent(PeerEventKind.BlockIn, message.Index, Download: download, Begin: message.Begin / PieceDownload.BlockSize));
        }
        if (whole)
        {
            _filling.Remove(message.Index);
            completed.Add(download);
        }
        return true;
    }

    private void OnRequest(in PeerMessage message, ref SwarmEvent.FromPeer? batch)
    {
        var torrent = _session.Torrent;
        if ((long)message.Begin + message.Length > torrent.GetPieceSize(message.Index))
        {
            throw new PeerProtocolException(PeerProtocolError.BadLength,
                $"request for {message.Length} bytes at {message.Begin} runs past the end of piece {message.Index}.");
        }
        if (!_peer.TryQueueUpload(message.Index))
        {
            if (_peer.RelayRemoteId != 0 && !_session.LocalHave[message.Index])
            {
                // Maybe a piece we fill and relay: the swarm loop answers.
                Add(ref batch, new PeerEvent(PeerEventKind.RelayRequest, message.Index, Begin: message.Begin, Length: message.Length));
                return;
            }
            if (_peer.SupportsFast)
            {
                _peer.Send(Outgoing.Reject(message.Index, message.Begin, message.Length));
            }
            return;
        }
        _peer.Send(Outgoing.Block(message.Index, message.Begin, message.Length));
    }

    // True when a compressed piece we asked for arrived.
    private bool OnExtended(in PeerMessage message, ref SwarmEvent.FromPeer? batch, List<PieceDownload> completed)
    {
        if (message.ExtendedId == ZPieceMessage.LocalId && _session.Options.Codec is not null)
        {
            return OnZPiece(message, ref batch, completed);
        }
        if (message.ExtendedId == RelayMessage.LocalId && _session.RelayOn)
        {
            var (kind, index, list) = RelayMessage.Parse(message.Payload, _session.Torrent.PieceCount);
            var eventKind = kind switch
            {
                RelayMessage.Ask => PeerEventKind.RelayAsk,
                RelayMessage.List => PeerEventKind.RelayList,
                RelayMessage.Part => PeerEventKind.RelayPart,
                _ => PeerEventKind.RelayDrop,
            };
            Add(ref batch, new PeerEvent(eventKind, index, Data: list));
            return false;
        }
        if (message.ExtendedId != 0)
        {
            return false;
        }
        var handshake = ExtensionHandshake.Parse(message.Payload.ToArray());
        _peer.Client = handshake.Client;
        _peer.RemoteSaysSeed = handshake.Seed || handshake.UploadOnly;
        if (handshake.ListenPort is > 0 and <= 65535 and var port)
        {
            _peer.RemoteListenPort = port;
        }
        if (handshake.RequestQueue is { } reqq)
        {
            _peer.MaxOutstanding = Math.Clamp(reqq, 2, 4096);
        }
        if (_session.RelayOn &&
            handshake.Extensions.TryGetValue(RelayMessage.ExtensionName, out var relayId) && relayId is > 0 and <= 255)
        {
            _peer.RelayRemoteId = (byte)relayId;
        }
        if (_session.Options.Codec is not null &&
            handshake.Extensions.TryGetValue(ZPieceMessage.ExtensionName, out var id) && id is > 0 and <= 255)
        {
            _peer.ZRemoteId = (byte)id;
        }
        return false;
    }

    private bool OnZPiece(in PeerMessage message, ref SwarmEvent.FromPeer? batch, List<PieceDownload> completed)
    {
        var (kind, index, encoding, payload) = ZPieceMessage.Parse(message.Payload, _session.Torrent.PieceCount);
        var zId = _peer.ZRemoteId;
        switch (kind)
        {
            case ZPieceMessage.Request:
                if (zId == 0 || !_peer.TryQueueUpload(index))
                {
                    if (zId != 0)
                    {
                        _peer.Send(Outgoing.Extended(zId, ZPieceMessage.EncodeRequest(ZPieceMessage.Reject, index)));
                    }
                    return false;
                }
                _peer.Send(Outgoing.ZPiece(zId, index));
                return false;
            case ZPieceMessage.Reject:
                Add(ref batch, new PeerEvent(PeerEventKind.Rejected, index));
                return false;
        }
        var id = _peer.Id;
        if (!_filling.TryGetValue(index, out var download) || download.NextRequest != download.BlockCount || download.ReceivedCount != 0 ||
            !download.TryBeginFill(id))
        {
            _peer.CountWasted(payload.Length);
            return false;
        }
        try
        {
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
        }
        catch
        {
            download.EndFill(id, whole: false);
            throw;
        }
        download.AcceptWhole();
        download.CompressedEncoding = encoding;
        download.EndFill(id, whole: true);
        _filling.Remove(index);
        _peer.CountBlock(payload.Length);
        // Counted in blocks, as the swarm loop counts a whole piece in flight.
        Volatile.Write(ref _accepted, _accepted + download.BlockCount);
        _session.CountZPiece((int)payload.Length, download.Length);
        // What a piece costs on the wire from this peer, smoothed: the request budget is in
        // pieces, the rate in wire bytes.
        _peer.SampleZWire(payload.Length, download.Length);
        completed.Add(download);
        return true;
    }
}
