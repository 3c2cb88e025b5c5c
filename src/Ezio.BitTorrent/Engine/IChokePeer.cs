namespace Ezio.BitTorrent.Engine;

/// <summary>What the <see cref="Choker"/> needs of a peer.</summary>
internal interface IChokePeer
{
    bool IsClosed { get; }

    /// <summary>We choke the peer (it may not download from us).</summary>
    bool AmChoking { get; }

    /// <summary>The peer is outside this machine's networks (<see cref="PeerLocality"/>).</summary>
    bool IsRouted { get; }

    /// <summary>The peer wants something we have.</summary>
    bool PeerInterested { get; }

    /// <summary>Chokes or unchokes the peer (queues the message when it changes).</summary>
    void SetAmChoking(bool choking);
}
