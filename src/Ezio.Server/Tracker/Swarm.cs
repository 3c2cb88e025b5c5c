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
    // Peers in a list (so an announce can pick from a random start without copying) plus an
    // index by peer id; removal swaps the last peer into the hole.
    private readonly List<TrackedPeer> _peers = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly HashSet<string> _completedBy = new(StringComparer.Ordinal);
    private DateTimeOffset _nextExpiry;
    private int _seeds;

    public InfoHash InfoHash { get; } = infoHash;
    public IReadOnlyList<TrackedPeer> Peers => _peers;
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

    /// <summary>A deployment opened this swarm and the server's seeder is not listed yet (it is still rechecking the image).</summary>
    public bool AwaitingSeeder { get; set; }

    public DateTimeOffset LastActivity { get; set; }

    /// <summary>An Ezio deployment opened this swarm (set by <see cref="AnnounceTracker.Open"/>; it stays set once closed).</summary>
    public bool HeldByDeployment { get; set; }

    public static string Key(byte[] peerId) => Convert.ToHexString(peerId);

    public TrackedPeer? Find(byte[] peerId) => _index.TryGetValue(Key(peerId), out var at) ? _peers[at] : null;

    public bool TryAdd(TrackedPeer peer, int maxPeers)
    {
        var key = Key(peer.PeerId);
        if (_index.TryGetValue(key, out var at))
        {
            _seeds += (peer.IsSeed ? 1 : 0) - (_peers[at].IsSeed ? 1 : 0);
            _peers[at] = peer;
            return true;
        }
        if (_peers.Count >= maxPeers)
        {
            return false;
        }
        _index[key] = _peers.Count;
        _peers.Add(peer);
        _seeds += peer.IsSeed ? 1 : 0;
        return true;
    }

    public void Remove(byte[] peerId) => RemoveKey(Key(peerId));

    private void RemoveKey(string key)
    {
        if (!_index.Remove(key, out var at))
        {
            return;
        }
        _seeds -= _peers[at].IsSeed ? 1 : 0;
        var last = _peers.Count - 1;
        if (at != last)
        {
            _peers[at] = _peers[last];
            _index[Key(_peers[at].PeerId)] = at;
        }
        _peers.RemoveAt(last);
    }

    /// <summary>
    /// <see cref="Expire"/> at most once a second: a full scan on every announce made the
    /// tracker's cost grow with the swarm (bench/tracker).
    /// </summary>
    public void ExpireIfDue(DateTimeOffset now, DateTimeOffset cutoff)
    {
        if (now < _nextExpiry)
        {
            return;
        }
        _nextExpiry = now.AddSeconds(1);
        Expire(cutoff);
    }

    public void MarkCompleted(byte[] peerId) => _completedBy.Add(Key(peerId));

    /// <summary>Forgets every completion (a new deployment starts counting from zero).</summary>
    public void ResetCompleted() => _completedBy.Clear();

    /// <summary>Drops peers silent since <paramref name="cutoff"/>.</summary>
    public int Expire(DateTimeOffset cutoff)
    {
        List<string>? stale = null;
        foreach (var peer in _peers)
        {
            if (peer.LastSeen < cutoff)
            {
                (stale ??= []).Add(Key(peer.PeerId));
            }
        }
        if (stale is null)
        {
            return 0;
        }
        foreach (var key in stale)
        {
            RemoveKey(key);
        }
        return stale.Count;
    }

    /// <summary>Changes a listed peer's "left", keeping the seed count (O(1) per announce).</summary>
    public void SetLeft(TrackedPeer peer, long left)
    {
        _seeds += (left == 0 ? 1 : 0) - (peer.IsSeed ? 1 : 0);
        peer.Left = left;
    }

    public (int Seeds, int Leechers) Counts() => (_seeds, _peers.Count - _seeds);
}
