using Ezio.BitTorrent.Metainfo;
using Ezio.Imaging.Build;

namespace Ezio.Imaging.Store;

/// <summary>
/// The web seed payload of an image (docs/web-seeds.md): one file holding every byte of the
/// image's torrent in torrent order, so piece i is bytes [i × piece length, + its size) and a
/// plain HTTP server answers a machine's range request for a piece with exactly that piece.
/// All-zero pieces are left as holes (the file is sparse where the image is empty).
/// </summary>
public static class WebPayload
{
    /// <summary>The payload's name inside an image directory.</summary>
    public const string FileName = "payload.bin";

    /// <summary>
    /// Writes the payload of <paramref name="store"/> to <paramref name="path"/>, every piece
    /// checked against <paramref name="torrent"/> first. The file appears only when whole
    /// (written beside it, flushed, then renamed), so a server never serves half of one.
    /// </summary>
    public static void Export(PieceStore store, Torrent torrent, string path, IProgress<BuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (!store.InfoHash.Span.SequenceEqual(torrent.InfoHash.ToArray()) || store.TotalLength != torrent.TotalLength)
        {
            throw new ImageException(ImageError.Malformed, "The piece store belongs to another torrent.");
        }
        var partial = path + ".partial";
        var buffer = GC.AllocateUninitializedArray<byte>(store.PieceLength);
        try
        {
            using (var file = File.OpenHandle(partial, FileMode.Create, FileAccess.Write))
            {
                RandomAccess.SetLength(file, store.TotalLength);
                for (var i = 0; i < store.PieceCount; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var piece = buffer.AsSpan(0, store.LengthOf(i));
                    store.ReadPiece(i, piece);
                    if (!torrent.VerifyPiece(i, piece))
                    {
                        throw new ImageException(ImageError.Malformed, $"Piece {i} of the piece store does not match its hash.");
                    }
                    if (store[i].Kind != StoredPieceKind.Zero)
                    {
                        RandomAccess.Write(file, piece, (long)i * store.PieceLength);
                    }
                    progress?.Report(new BuildProgress((long)i * store.PieceLength + piece.Length, store.TotalLength, "web seed payload"));
                }
                RandomAccess.FlushToDisk(file);
            }
            File.Move(partial, path, overwrite: true);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }
}
