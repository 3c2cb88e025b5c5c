using Ezio.BitTorrent.Picking;

namespace Ezio.Sim;

/// <summary>
/// One simulated machine (or the server): its links, its session state (the engine's real
/// <see cref="PiecePicker"/> for availability, owners and what is verified) and its peers.
/// </summary>
public sealed class Host
{
    public Host(int id, bool isServer, double upBitsPerSecond, double downBitsPerSecond, int pieceCount, Random random)
    {
        Id = id;
        IsServer = isServer;
        UpBytesPerSecond = upBitsPerSecond / 8;
        DownBytesPerSecond = downBitsPerSecond / 8;
        Random = random;
        Picker = new PiecePicker(pieceCount, random);
        HaveSet = new PieceSet(pieceCount);
        Unowned = new PieceSet(pieceCount);
        if (isServer)
        {
            for (var i = 0; i < pieceCount; i++)
            {
                Picker.SetHave(i);
            }
            HaveSet.AddAll();
            Complete = true;
        }
        else
        {
            Unowned.AddAll();
        }
    }

    public int Id { get; }

    public bool IsServer { get; }

    /// <summary>Wire bytes per second the uplink carries.</summary>
    public double UpBytesPerSecond { get; }

    public double DownBytesPerSecond { get; }

    public Random Random { get; }

    public PiecePicker Picker { get; }

    /// <summary>The picker's Have as a word set (for intersections and bitfield exchange).</summary>
    public PieceSet HaveSet { get; }

    /// <summary>Pieces we lack that nobody fetches and are not being stored: the non-endgame candidates.</summary>
    public PieceSet Unowned { get; }

    public List<Peer> Peers { get; } = [];

    public HashSet<int> Connected { get; } = [];

    public bool Started { get; set; }

    public bool Alive { get; set; } = true;

    public bool Complete { get; set; }

    public double StartedAt { get; set; } = -1;

    public double DoneAt { get; set; } = -1;

    public double DiedAt { get; set; } = -1;

    /// <summary>Fraction of the pieces after which this machine dies, or null.</summary>
    public double? DiesAtFraction { get; set; }

    /// <summary>Payload bytes sent, whole pieces and finished parts of pieces.</summary>
    public double Uploaded { get; set; }

    /// <summary>Pieces assigned to peers and not yet arrived (the session's piece buffers).</summary>
    public int PiecesInFlight { get; set; }

    /// <summary>Assigned pieces waiting behind another in their peer's queue (what a take-over can move).</summary>
    public int Waiting { get; set; }

    /// <summary>Peers with two or more pieces assigned (where a take-over looks), in no order.</summary>
    public List<Peer> Queued { get; } = [];

    /// <summary>Bumped whenever a piece queues behind another (a new take-over candidate).</summary>
    public long WaitingVersion { get; set; }

    public int Unchoked { get; set; }

    /// <summary>Every piece buffer is out: a peer went hungry for want of one.</summary>
    public bool PoolStarved { get; set; }

    /// <summary>Unchoked peers that are not interested (a slot a waiting peer may take back).</summary>
    public int IdleHolders { get; set; }

    /// <summary>Bumped when a piece becomes fetchable again or buffers free up: hungry peers retry then.</summary>
    public long CandidateEpoch { get; set; }

    /// <summary>Payload bytes received twice or cut off (endgame duplicates, released pieces).</summary>
    public double Wasted { get; set; }

    /// <summary>Active flows leaving this host (its uplink) and entering it (its downlink).</summary>
    public List<Flow> OutFlows { get; } = [];

    public List<Flow> InFlows { get; } = [];

    /// <summary>Sum of the current payload rates out of and into this host.</summary>
    public double OutRate { get; set; }

    public double InRate { get; set; }

    /// <summary>Water level of the last fill of each link (+inf: the link had room for every flow).</summary>
    public double UpLevel { get; set; } = double.PositiveInfinity;

    public double DownLevel { get; set; } = double.PositiveInfinity;

    /// <summary>Capacity left over after the last fill of each link.</summary>
    public double UpSpare { get; set; }

    public double DownSpare { get; set; }

    /// <summary>Bookkeeping of <see cref="FluidNetwork.Settle"/>: links queued for a fill.</summary>
    public bool UpDirty { get; set; }

    public bool DownDirty { get; set; }

    public SuperSeeder? Seeder { get; set; }

    /// <summary>A piece we now fetch from one more peer (mirrors PiecePicker.AddOwner).</summary>
    public void AddOwner(int index)
    {
        Picker.AddOwner(index);
        Unowned.Remove(index);
    }

    /// <summary>A peer stopped fetching a piece; with no owner left it is a candidate again.</summary>
    public void RemoveOwner(int index)
    {
        Picker.RemoveOwner(index);
        if (Picker.Owners(index) == 0 && !Picker.Have[index] && !Picker.IsBusy(index) && Unowned.Add(index))
        {
            CandidateEpoch++;
        }
    }

    public void SetHave(int index)
    {
        Picker.SetHave(index);
        HaveSet.Add(index);
        Unowned.Remove(index);
    }
}
