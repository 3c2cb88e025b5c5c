using Ezio.BitTorrent.Picking;

namespace Ezio.BitTorrent.Engine;

/// <summary>What the <see cref="Requester"/> needs of a peer we download from.</summary>
internal interface IRequestPeer
{
    /// <summary>Pieces the peer announced.</summary>
    Bitfield RemoteBitfield { get; }

    /// <summary>Pieces the peer fills and offers block by block (ezio_relay), or null.</summary>
    Bitfield? RemotePartial { get; }

    bool IsClosed { get; }

    /// <summary>The peer is outside this machine's networks (<see cref="PeerLocality"/>).</summary>
    bool IsRouted { get; }

    bool PeerChoking { get; }

    bool AmInterested { get; }

    /// <summary>Pieces from this peer that failed their hash: such a peer gets one piece at a time.</summary>
    int HashFailures { get; }

    /// <summary>No piece to give this peer last time; retry when something changes.</summary>
    bool Hungry { get; set; }

    /// <summary>Bytes of assigned pieces the peer should have waiting, not yet requested.</summary>
    int QueueTargetBytes { get; }

    /// <summary>Bytes of assigned pieces not yet requested.</summary>
    int UnrequestedBytes { get; }

    /// <summary>Pieces assigned and not yet received whole.</summary>
    int DownloadCount { get; }

    /// <summary>False while the peer has no room for another whole piece (compressed mode).</summary>
    bool CanTakeMore { get; }

    /// <summary>The pieces this peer fetches now, in progress or received and not yet hashed.</summary>
    List<int> FetchingIndices();

    /// <summary>Hands the peer a piece to fetch; it owns the download from now on.</summary>
    void Assign(PieceDownload download);

    /// <summary>An assigned piece in <paramref name="has"/>, not in <paramref name="exclude"/>, with nothing requested yet (or -1); <paramref name="waiting"/>: unrequested bytes here.</summary>
    int FindUnstarted(Bitfield has, List<int> exclude, out int waiting);

    /// <summary>Takes back a piece with nothing requested yet; null when that changed.</summary>
    PieceDownload? TakeUnstarted(int index);

    /// <summary>Takes back a piece (cancelling its requests); null when the peer does not fetch it.</summary>
    PieceDownload? Cancel(int index);
}
