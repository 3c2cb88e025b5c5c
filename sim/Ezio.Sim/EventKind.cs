namespace Ezio.Sim;

/// <summary>What a <see cref="SimEvent"/> does when its time comes.</summary>
public enum EventKind
{
    /// <summary>A machine boots its agent: it announces and dials.</summary>
    Start,
    /// <summary>A machine asks the tracker again and dials the peers it is not connected to.</summary>
    Announce,
    /// <summary>A dialled connection is up (both ends register it).</summary>
    Connect,
    /// <summary>One have message reaches a peer (the super-seeder's advertisements).</summary>
    Have,
    /// <summary>Every piece of the sender at once (the super-seeder done, advertising the rest).</summary>
    HaveAll,
    /// <summary>A host's have for a verified piece reaches every peer it has.</summary>
    HaveBroadcast,
    Interested,
    NotInterested,
    Choke,
    Unchoke,
    /// <summary>A request for a whole piece reaches the uploader.</summary>
    Request,
    /// <summary>The last byte of a piece reaches its downloader.</summary>
    PieceArrive,
    /// <summary>A flow's head piece has left the uploader (fluid model; stale unless its version matches).</summary>
    FlowDone,
    /// <summary>Every host's 250 ms timer (rates, timeouts, unchoke, hungry peers, super-seed sweep).</summary>
    Tick,
}
