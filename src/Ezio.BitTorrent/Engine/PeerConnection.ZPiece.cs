using System.Buffers;
using Ezio.BitTorrent.Compression;
using Ezio.BitTorrent.PeerWire;

namespace Ezio.BitTorrent.Engine;

// ezio_zpiece (see ZPieceMessage): whole pieces, compressed, requested and served.
internal sealed partial class PeerConnection
{
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
            Decode(download, encoding, new ReadOnlySequence<byte>(kept));
            download.Compressed = kept;
        }
        else
        {
            Decode(download, encoding, payload);
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

    /// <summary>
    /// Decodes into the piece buffer, never past the piece's size: a frame that claims or
    /// produces anything else is a protocol error that closes this connection only.
    /// </summary>
    private void Decode(PieceDownload download, PieceEncoding encoding, ReadOnlySequence<byte> payload)
    {
        var target = download.Buffer.Span[..download.Length];
        switch (encoding)
        {
            case PieceEncoding.Zero when payload.IsEmpty:
                target.Clear();
                return;
            case PieceEncoding.Raw when payload.Length == download.Length:
                payload.CopyTo(target);
                return;
            case PieceEncoding.Zstd when payload.Length > 0 && payload.Length <= download.Length + 1024:
                {
                    byte[]? rented = null;
                    try
                    {
                        ReadOnlySpan<byte> source;
                        if (payload.IsSingleSegment)
                        {
                            source = payload.FirstSpan;
                        }
                        else
                        {
                            rented = ArrayPool<byte>.Shared.Rent((int)payload.Length);
                            payload.CopyTo(rented);
                            source = rented.AsSpan(0, (int)payload.Length);
                        }
                        _session.Options.Codec!.Decompress(source, target);
                    }
                    catch (InvalidDataException e)
                    {
                        throw new PeerProtocolException(PeerProtocolError.CorruptData, $"piece {download.Index} does not decompress: {e.Message}");
                    }
                    finally
                    {
                        if (rented is not null)
                        {
                            ArrayPool<byte>.Shared.Return(rented);
                        }
                    }
                    return;
                }
            default:
                throw new PeerProtocolException(PeerProtocolError.CorruptData,
                    $"piece {download.Index} sent as {encoding} with {payload.Length} bytes for a {download.Length}-byte piece.");
        }
    }

    // Send loop: one whole piece, taken compressed from storage or the relay cache when
    // possible, otherwise compressed here when that is worth it.
    private void WriteZPiece(byte extendedId, int index)
    {
        Interlocked.Decrement(ref _queuedUploads);
        var session = _session;
        var size = session.Torrent.GetPieceSize(index);
        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(size, session.Options.Codec!.CompressBound(size)));
        byte[]? raw = null;
        try
        {
            var data = rented;
            int length;
            PieceEncoding encoding;
            if (session.Storage is ICompressedPieceSource source && source.TryReadCompressed(index, ref data, out length, out encoding))
            {
            }
            else if (session.CompressedCache.TryGet(index, out var cached, out encoding))
            {
                data = cached;
                length = cached.Length;
            }
            else
            {
                raw = ArrayPool<byte>.Shared.Rent(size);
                session.Storage.Read((long)index * session.Torrent.PieceLength, raw.AsSpan(0, size));
                (data, length, encoding) = Encode(index, raw.AsSpan(0, size), rented);
                if (encoding == PieceEncoding.Zstd)
                {
                    session.CountCompressedOnTheFly();
                }
                if (encoding == PieceEncoding.Raw)
                {
                    data = raw;
                }
                else
                {
                    session.CompressedCache.Add(index, data.AsSpan(0, length), encoding);
                }
            }
            var total = 6 + ZPieceMessage.PieceHeaderLength + length;
            var span = _writer.GetSpan(total);
            PeerMessageWriter.WriteExtendedHeader(span, extendedId, ZPieceMessage.PieceHeaderLength + length);
            ZPieceMessage.WritePieceHeader(span[6..], index, encoding);
            data.AsSpan(0, length).CopyTo(span[(6 + ZPieceMessage.PieceHeaderLength)..]);
            _writer.Advance(total);
            Interlocked.Add(ref _uploaded, length);
            session.CountUploaded(length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
            if (raw is not null)
            {
                ArrayPool<byte>.Shared.Return(raw);
            }
        }
    }

    private (byte[] Data, int Length, PieceEncoding Encoding) Encode(int index, ReadOnlySpan<byte> piece, byte[] scratch)
    {
        if (!piece.ContainsAnyExcept((byte)0))
        {
            return (scratch, 0, PieceEncoding.Zero);
        }
        var hints = _session.Compressibility;
        if (hints[index] != PieceCompressibility.Incompressible)
        {
            var length = _session.Options.Codec!.Compress(piece, scratch, _session.Options.CompressionLevel);
            // Worth it only when it saves a tenth; remember pieces that do not compress.
            if (length > 0 && length < piece.Length - piece.Length / 10)
            {
                hints[index] = PieceCompressibility.Compresses;
                return (scratch, length, PieceEncoding.Zstd);
            }
            hints[index] = PieceCompressibility.Incompressible;
        }
        return (scratch, piece.Length, PieceEncoding.Raw);
    }
}
