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

/// <summary>A snapshot of a session for progress displays and reports.</summary>
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
    string? LastTrackerError);
