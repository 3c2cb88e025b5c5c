using Ezio.BitTorrent.Metainfo;

namespace Ezio.BitTorrent.Storage;

public static class PieceCheck
{
    /// <summary>
    /// Reads piece <paramref name="index"/> from storage into <paramref name="scratch"/> (at
    /// least a piece long) and checks it against the torrent's hash: the recheck, resume and
    /// verify paths all come through here.
    /// </summary>
    public static bool ReadAndVerify(this ITorrentStorage storage, Torrent torrent, int index, Span<byte> scratch)
    {
        var piece = scratch[..torrent.GetPieceSize(index)];
        storage.Read((long)index * torrent.PieceLength, piece);
        return torrent.VerifyPiece(index, piece);
    }
}
