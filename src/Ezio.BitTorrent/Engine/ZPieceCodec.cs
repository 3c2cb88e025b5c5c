using System.Buffers;
using Ezio.BitTorrent.Compression;
using Ezio.BitTorrent.Metainfo;
using Ezio.BitTorrent.PeerWire;
using Ezio.BitTorrent.Storage;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// Whole pieces over ezio_zpiece (see <see cref="ZPieceMessage"/>): the frames a session
/// sends, taken compressed from storage or the relay cache when possible, else compressed
/// here when that saves a tenth; and the decoding of frames received.
/// </summary>
/// <remarks>
/// One per session, used by every connection's send loop at once: the cache locks, the
/// counters are interlocked, and a hint written by two loops at once costs one more try.
/// </remarks>
internal sealed class ZPieceCodec
{
    private readonly Torrent _torrent;
    private readonly ITorrentStorage _storage;
    private readonly IPieceCodec _codec;
    private readonly int _level;
    private readonly CompressedPieceCache _cache;
    private readonly PieceCompressibility[] _hints;
    private int _compressedOnTheFly;

    public ZPieceCodec(Torrent torrent, ITorrentStorage storage, IPieceCodec codec, int level, CompressedPieceCache cache)
    {
        _torrent = torrent;
        _storage = storage;
        _codec = codec;
        _level = level;
        _cache = cache;
        _hints = new PieceCompressibility[torrent.PieceCount];
    }

    /// <summary>Pieces compressed here for peers so far.</summary>
    public int CompressedOnTheFly => Volatile.Read(ref _compressedOnTheFly);

    /// <summary>What compressing the piece showed so far.</summary>
    public PieceCompressibility Hint(int index) => _hints[index];

    /// <summary>Writes the extended message carrying piece <paramref name="index"/>; returns its payload bytes.</summary>
    public int WriteFrame(IBufferWriter<byte> writer, byte extendedId, int index)
    {
        var size = _torrent.GetPieceSize(index);
        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(size, _codec.CompressBound(size)));
        byte[]? raw = null;
        try
        {
            var data = rented;
            int length;
            PieceEncoding encoding;
            if (_storage is ICompressedPieceSource source && source.TryReadCompressed(index, ref data, out length, out encoding))
            {
            }
            else if (_cache.TryGet(index, out var cached, out encoding))
            {
                data = cached;
                length = cached.Length;
            }
            else
            {
                raw = ArrayPool<byte>.Shared.Rent(size);
                _storage.Read((long)index * _torrent.PieceLength, raw.AsSpan(0, size));
                (length, encoding) = Encode(index, raw.AsSpan(0, size), rented);
                if (encoding == PieceEncoding.Raw)
                {
                    data = raw;
                }
                else
                {
                    _cache.Add(index, data.AsSpan(0, length), encoding);
                }
            }
            var total = 6 + ZPieceMessage.PieceHeaderLength + length;
            var span = writer.GetSpan(total);
            PeerMessageWriter.WriteExtendedHeader(span, extendedId, ZPieceMessage.PieceHeaderLength + length);
            ZPieceMessage.WritePieceHeader(span[6..], index, encoding);
            data.AsSpan(0, length).CopyTo(span[(6 + ZPieceMessage.PieceHeaderLength)..]);
            writer.Advance(total);
            return length;
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

    private (int Length, PieceEncoding Encoding) Encode(int index, ReadOnlySpan<byte> piece, byte[] scratch)
    {
        if (!piece.ContainsAnyExcept((byte)0))
        {
            return (0, PieceEncoding.Zero);
        }
        if (_hints[index] != PieceCompressibility.Incompressible)
        {
            var length = _codec.Compress(piece, scratch, _level);
            if (length > 0 && length < piece.Length - piece.Length / 10)
            {
                _hints[index] = PieceCompressibility.Compresses;
                Interlocked.Increment(ref _compressedOnTheFly);
                return (length, PieceEncoding.Zstd);
            }
            _hints[index] = PieceCompressibility.Incompressible;
        }
        return (piece.Length, PieceEncoding.Raw);
    }

    /// <summary>
    /// Decodes a received piece into <paramref name="target"/> (exactly the piece's size): a
    /// frame that claims or produces anything else is a protocol error that closes that
    /// connection only.
    /// </summary>
    public static void Decode(IPieceCodec codec, int index, PieceEncoding encoding, ReadOnlySequence<byte> payload, Span<byte> target)
    {
        switch (encoding)
        {
            case PieceEncoding.Zero when payload.IsEmpty:
                target.Clear();
                return;
            case PieceEncoding.Raw when payload.Length == target.Length:
                payload.CopyTo(target);
                return;
            case PieceEncoding.Zstd when payload.Length > 0 && payload.Length <= target.Length + 1024:
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
                        codec.Decompress(source, target);
                    }
                    catch (InvalidDataException e)
                    {
                        throw new PeerProtocolException(PeerProtocolError.CorruptData, $"piece {index} does not decompress: {e.Message}");
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
                    $"piece {index} sent as {encoding} with {payload.Length} bytes for a {target.Length}-byte piece.");
        }
    }
}
