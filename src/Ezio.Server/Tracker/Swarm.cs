using System.Net;
using Ezio.BitTorrent.Metainfo;

namespace Ezio.Server.Tracker;

/// <summary>One tracked peer. Keyed by peer id inside its swarm.</summary>
internal sealed class TrackedPeer(byte[] peerId, IPEndPoint endPoint)
{
    public byte[] PeerId { get; } = peerId;
    public IPEndPoint EndPoint { get; set; } = endPoint;
    public long Left { get; set; }
    public DateTimeOffset LastSeen { get; set; }
    public bool IsSeed => Left == 0;
}

/// <summary>
/// The peers of one info-hash. Not thread-safe: <see cref="AnnounceTracker"/> locks the
/// swarm around every use. Memory is bounded by <see cref="AnnounceTracker.MaxPeersPerSwarm"/>.
/// </summary>
internal sealed class Swarm(InfoHash infoHash)
{
    private readonly Dictionary<string, TrackedPeer> _peers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _completedBy = new(StringComparer.Ordinal);

    public InfoHash InfoHash { get; } = infoHash;
    public IReadOnlyCollection<TrackedPeer> Peers => _peers.Values;
    public int Count => _peers.Count;

    /// <summary>Distinct peers that sent event=completed (ocs-bttrack's completed counter).</summary>
    public int Completed => _completedBy.Count;

    /// <summary>When set, announces fail with this reason: the job is over.</summary>
    public string? ClosedReason { get; set; }

    /// <summary>Stop after this many completed peers (0 = never).</summary>
    public int StopAfterCompleted { get; set; }

    /// <summary>Stop at this time (null = never).</summary>
    public DateTimeOffset? Deadline { get; set; }

    /// <summary>The server's own seeder port for this hash, listed first in every answer.</summary>
    public int PinnedSeederPort { get; set; }

    public DateTimeOffset LastActivity { get; set; }

    public static string Key(byte[] peerId) => Convert.ToHexString(peerId);

    public TrackedPeer? Find(byte[] peerId) => _peers.GetValueOrDefault(Key(peerId));

    public bool TryAdd(TrackedPeer peer, int maxPeers)
    {
        if (_peers.Count >= maxPeers)
        {
            return false;
        }
        _peers[Key(peer.PeerId)] = peer;
        return true;
    }

    public void Remove(byte[] peerId) => _peers.Remove(Key(peerId));

    public void MarkCompleted(byte[] peerId) => _completedBy.Add(Key(peerId));

    /// <summary>Drops peers silent since <paramref name="cutoff"/>.</summary>
    public int Expire(DateTimeOffset cutoff)
    {
        List<string>? stale = null;
        foreach (var (key, peer) in _peers)
        {
            if (peer.LastSeen < cutoff)
            {
                (stale ??= []).Add(key);
            }
        }
        if (stale is null)
        {
            return 0;
        }
        foreach (var key in stale)
        {
            _peers.Remove(key);
        }
        return stale.Count;
    }

    public (int Seeds, int Leechers) Counts()
    {
        var seeds = 0;
        foreach (var peer in _peers.Values)
        {
            if (peer.IsSeed)
            {
                seeds++;
            }
        }
        return (seeds, _peers.Count - seeds);
    }
}
