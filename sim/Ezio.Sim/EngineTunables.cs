namespace Ezio.Sim;

/// <summary>
/// The engine's defaults the simulated hosts follow, copied from
/// src/Ezio.BitTorrent/Engine/SessionOptions.cs, SuperSeeder.cs and the tracker
/// (src/Ezio.Server/Tracker). Values, not code: the engine classes that use them are
/// socket-bound.
/// </summary>
public sealed record EngineTunables
{
    /// <summary>SessionOptions.MaxUnchoked.</summary>
    public int MaxUnchoked { get; init; } = 64;

    /// <summary>Upload slots of the server's seeder (an experiment; the engine gives it <see cref="MaxUnchoked"/>).</summary>
    public int ServerMaxUnchoked { get; init; } = 64;

    /// <summary>SessionOptions.MaxConnections.</summary>
    public int MaxConnections { get; init; } = 200;

    /// <summary>Peers a machine asks the tracker for (the engine's announce: numwant=200, the tracker's cap).</summary>
    public int NumWant { get; init; } = 200;

    /// <summary>The tracker's announce interval (AnnounceTracker.Interval).</summary>
    public double AnnounceSeconds { get; init; } = 60;

    /// <summary>Announcer.cs ShortInterval: the interval while a machine holds fewer than two peers.</summary>
    public double ShortAnnounceSeconds { get; init; } = 5;

    /// <summary>SessionOptions.RequestQueueTime: requests in flight at a peer, in seconds of its rate.</summary>
    public double RequestQueueSeconds { get; init; } = 0.1;

    /// <summary>SessionOptions.MinRequestBytes.</summary>
    public int MinRequestBytes { get; init; } = 64 << 10;

    /// <summary>SessionOptions.MaxRequestsPerPeer x the 16 KiB block.</summary>
    public int MaxRequestBytes { get; init; } = 256 * 16 * 1024;

    /// <summary>SessionOptions.PeerQueueBytes: unrequested bytes assigned to one peer at most.</summary>
    public int PeerQueueBytes { get; init; } = 4 << 20;

    /// <summary>SessionOptions.MaxInFlightBytes: piece buffers of one session.</summary>
    public long MaxInFlightBytes { get; init; } = 48L << 20;

    /// <summary>Requester.cs Fill: pieces assigned to one peer at most.</summary>
    public int MaxPiecesPerPeer { get; init; } = 64;

    /// <summary>SessionOptions.RequestTimeout.</summary>
    public double RequestTimeoutSeconds { get; init; } = 30;

    /// <summary>TorrentSession.cs OnTick: a peer silent this long is dropped.</summary>
    public double SilentTimeoutSeconds { get; init; } = 180;

    /// <summary>TorrentSession.cs: the session timer.</summary>
    public double TickSeconds { get; init; } = 0.25;

    /// <summary>SuperSeeder.cs StaleGiven.</summary>
    public double StaleGivenSeconds { get; init; } = 20;

    public bool SuperSeed { get; init; } = true;

    /// <summary>Which pieces the last peers fetch twice (an experiment; the engine's rule is <see cref="EndgamePolicy.Peers"/>).</summary>
    public EndgamePolicy Endgame { get; init; } = EndgamePolicy.Peers;
}

/// <summary>Endgame duplicates (<see cref="EngineTunables.Endgame"/>).</summary>
public enum EndgamePolicy
{
    /// <summary>Requester.cs: with at most max(4, peers) pieces missing, any piece fetched once may be fetched again.</summary>
    Peers,

    /// <summary>The same, but only a piece its fetching peers would finish later than this peer could fetch it whole.</summary>
    Slower,

    /// <summary>No duplicates.</summary>
    Off,
}
