using Ezio.BitTorrent.Picking;

namespace Ezio.BitTorrent.Engine;

// Swarm state: read and written by the session's swarm loop only.
internal sealed partial class PeerConnection
{
    /// <summary>Pieces the peer told us it has.</summary>
    public Bitfield RemoteBitfield { get; }

    public bool PeerInterested { get; set; }

    public bool AmInterested { get; set; }

    /// <summary>Pieces the peer has and we lack.</summary>
    public int Interesting { get; set; }

    public int HashFailures { get; set; }

    public bool Registered { get; set; }

    /// <summary>Super-seeding: pieces we advertised to this peer (null when we sent our whole bitfield).</summary>
    public Bitfield? Advertised { get; set; }

    /// <summary>Super-seeding: advertised pieces the peer has not announced yet.</summary>
    public int AdvertisedPending { get; set; }

    /// <summary>No piece to give this peer right now; retry when something changes.</summary>
    public bool Hungry { get; set; }
}
