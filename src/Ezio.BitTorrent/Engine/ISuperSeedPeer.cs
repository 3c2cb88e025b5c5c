using Ezio.BitTorrent.Picking;

namespace Ezio.BitTorrent.Engine;

/// <summary>What the <see cref="SuperSeeder"/> needs of a peer.</summary>
internal interface ISuperSeedPeer
{
    /// <summary>Pieces the peer announced.</summary>
    Bitfield RemoteBitfield { get; }

    bool IsClosed { get; }

    /// <summary>Tells the peer we have a piece (a have message).</summary>
    void Advertise(int piece);
}
