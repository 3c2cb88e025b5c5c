namespace Ezio.BitTorrent.Engine;

public enum SessionState
{
    Checking,
    Downloading,
    Flushing,
    Seeding,
    Failed,
    Stopped,
}

/// <summary>One connected peer, as a snapshot.</summary>
public sealed record PeerStats(System.Net.IPEndPoint EndPoint, long Downloaded, long Uploaded, int PiecesHave, string? Client, bool Compressed);

/// <summary>
/// A snapshot of a session for progress displays and reports. <c>SuperSeedUploaded</c>: payload
/// bytes this seed had sent when super-seeding ended (every piece had reached some peer);
/// one copy of the data when no piece had to be sent twice. <c>PiecesTakenOver</c>: pieces
/// moved, before any of their blocks was requested, from a busy peer to an idle one.
/// <c>ZPieceWire</c>/<c>ZPieceData</c>: what pieces received whole over <c>ezio_zpiece</c> took
/// on the wire and what they hold (the rest of <c>Downloaded</c> came as plain blocks);
/// <c>ZPiecesCompressed</c>: pieces this session compressed on the fly for its peers.
/// <c>Written</c>: bytes of the pieces this session fetched, verified and stored (the torrent
/// less what the target already held).
/// </summary>
public sealed record SessionStats(
    SessionState State,
    int PiecesHave,
    int PieceCount,
    long BytesLeft,
    long Downloaded,
    long Uploaded,
    double DownloadRate,
    double UploadRate,
    int Peers,
    int Seeds,
    long Wasted,
    int HashFailures,
    string? LastTrackerError,
    long? SuperSeedUploaded = null,
    int PiecesTakenOver = 0,
    long ZPieceWire = 0,
    long ZPieceData = 0,
    int ZPiecesCompressed = 0,
    long Written = 0);
