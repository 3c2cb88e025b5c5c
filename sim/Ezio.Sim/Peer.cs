namespace Ezio.Sim;

/// <summary>
/// One host's view of a connected peer: what the engine's PeerConnection keeps for the swarm
/// loop (src/Ezio.BitTorrent/Engine/PeerConnection.cs): the peer's pieces, choke and
/// interest on both sides, pieces assigned to it, its measured rate, and the super-seed
/// bookkeeping when the local host is the server.
/// </summary>
public sealed class Peer
{
    public Peer(Host local, Host remote, int pieceCount)
    {
        Local = local;
        Remote = remote;
        Has = new PieceSet(pieceCount);
        Inbound = new Flow(this);
    }

    public Host Local { get; }

    /// <summary>Order of creation: a host's peer list is in this order (ties in a take-over go to the older connection).</summary>
    public long Serial { get; init; }

    public Host Remote { get; }

    /// <summary>The remote host's view of the local one (the other end of the connection).</summary>
    public Peer Mirror { get; set; } = null!;

    /// <summary>Pieces the peer told us it has.</summary>
    public PieceSet Has { get; }

    public bool Closed { get; set; }

    public bool AmChoking { get; set; } = true;

    public bool PeerChoking { get; set; } = true;

    public bool AmInterested { get; set; }

    public bool PeerInterested { get; set; }

    /// <summary>Pieces the peer has and we lack.</summary>
    public int Interesting { get; set; }

    /// <summary>No piece to give this peer right now; retried when something changes.</summary>
    public bool Hungry { get; set; }

    /// <summary>The local host's candidate epoch when this peer went hungry.</summary>
    public long HungryEpoch { get; set; }

    /// <summary>The host's waiting version and this peer's piece count when a take-over last found nothing.</summary>
    public long TakeOverMissVersion { get; set; } = -1;

    public int TakeOverMissHas { get; set; }

    /// <summary>Data from the peer to us (carrying our requests).</summary>
    public Flow Inbound { get; }

    /// <summary>Pieces we asked this peer for, in order, not yet arrived.</summary>
    public List<int> Assigned { get; } = [];

    public long AssignedBytes { get; set; }

    /// <summary>Smoothed payload rate from this peer (bytes/s), as PeerConnection.UpdateRate keeps it.</summary>
    public double DownloadRate { get; set; }

    public double RateBytes { get; set; }

    public double RateAt { get; set; } = -1;

    /// <summary>Payload bytes received from the peer (whole and partial pieces).</summary>
    public double Received { get; set; }

    public double LastBlock { get; set; }

    public double LastReceive { get; set; }

    /// <summary>Super-seeding: pieces advertised to this peer (null when it was given our whole bitfield).</summary>
    public PieceSet? Advertised { get; set; }

    public int AdvertisedPending { get; set; }

    public int GivenCount { get; set; }

    public int SoleHeld { get; set; }
}
