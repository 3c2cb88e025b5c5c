using System.Net;
using Ezio.BitTorrent.Metainfo;

namespace Ezio.Server.Tracker;

/// <summary>One tracked peer. Keyed by peer id inside its swarm.</summary>
internal sealed class TrackedPeer(byte[] peerId, IPEndPoint endPoint, bool isMember = false)
{
    public byte[] PeerId { get; } = peerId;
    public IPEndPoint EndPoint { get; set; } = endPoint;
    public long Left { get; set; }
    public DateTimeOffset LastSeen { get; set; }

    /// <summary>When it was listed (the oldest leecher of a subnet is its bridge, see <see cref="AnnounceTracker.Locality"/>).</summary>
    public DateTimeOffset Joined { get; init; }
    public bool IsSeed => Left == 0;

    /// <summary>Announced from the address of a registered machine of the swarm's deployment.</summary>
    public bool IsMember { get; } = isMember;

    /// <summary>Its subnet, set when it is listed in a swarm that knows subnets.</summary>
    public IPNetwork? Subnet { get; set; }
}

/// <summary>
/// The peers of one info-hash: members (registered machines of the deployment that holds the
/// swarm) and guests (everyone else), kept apart so answers list members first and guests
/// never push members out. Not thread-safe: <see cref="AnnounceTracker"/> locks the swarm
/// around every use. Memory is bounded by <see cref="AnnounceTracker.MaxPeersPerSwarm"/>
/// plus the members, themselves bounded by the deployment's machines. With a
/// <paramref name="locality"/>, peers are also indexed by subnet (<see cref="Subnet"/>), so an
/// announce reads its own subnet without a walk over the swarm.
/// </summary>
internal sealed class Swarm(InfoHash infoHash, SubnetLocality? locality = null)
{
    private readonly PeerSet _members = new();
    private readonly PeerSet _guests = new();
    private readonly Dictionary<IPNetwork, SubnetPeers> _subnets = [];
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private readonly HashSet<string> _completedBy = new(StringComparer.Ordinal);
    private DateTimeOffset _nextExpiry;

    public InfoHash InfoHash { get; } = infoHash;
    public IReadOnlyList<TrackedPeer> Members => _members.Peers;
    public IReadOnlyList<TrackedPeer> Guests => _guests.Peers;
    public int Count => _members.Count + _guests.Count;

    /// <summary>
    /// Distinct completions (ocs-bttrack's completed counter): by peer id in a plain swarm, by
    /// member address while a deployment holds the swarm (a machine completes once).
    /// </summary>
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

    /// <summary>Some peer has announced itself a seed (or the server's seeder is pinned): a swarm without it is still starting, not one whose seed died.</summary>
    public bool SeedSeen { get; set; }

    public DateTimeOffset LastActivity { get; set; }

    /// <summary>An Ezio deployment opened this swarm (set by <see cref="AnnounceTracker.Open"/>; it stays set once closed).</summary>
    public bool HeldByDeployment { get; set; }

    public static string Key(byte[] peerId) => Convert.ToHexString(peerId);

    /// <summary>The listed peers of one subnet (only with a locality); null when it has none.</summary>
    public SubnetPeers? Subnet(IPNetwork subnet) => _subnets.GetValueOrDefault(subnet);

    public TrackedPeer? Find(byte[] peerId)
    {
        var key = Key(peerId);
        return _members.Find(key) ?? _guests.Find(key);
    }

    /// <summary>
    /// Adds a peer not listed yet. A guest is refused when the swarm holds
    /// <paramref name="maxPeers"/> or its address already has <paramref name="maxPerAddress"/>
    /// peer ids (0 = no limit). A member is never refused: past the swarm's limit it takes a
    /// guest's place, past its address's limit the oldest peer id of its address.
    /// </summary>
    public bool TryAdd(TrackedPeer peer, int maxPeers, int maxPerAddress)
    {
        var key = Key(peer.PeerId);
        var address = peer.EndPoint.Address;
        var atAddress = _perAddress.GetValueOrDefault(address);
        if (!peer.IsMember)
        {
            if (Count >= maxPeers || (maxPerAddress > 0 && atAddress >= maxPerAddress))
            {
                return false;
            }
            Add(_guests, key, peer);
            return true;
        }
        if (maxPerAddress > 0 && atAddress >= maxPerAddress && OldestAt(address) is { } oldest)
        {
            RemoveKey(Key(oldest.PeerId));
        }
        if (Count >= maxPeers && _guests.Count > 0)
        {
            RemoveKey(Key(_guests.Peers[^1].PeerId));
        }
        Add(_members, key, peer);
        return true;
    }

    public void Remove(byte[] peerId) => RemoveKey(Key(peerId));

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

    public void MarkCompleted(string key) => _completedBy.Add(key);

    /// <summary>Forgets every completion (a new deployment starts counting from zero).</summary>
    public void ResetCompleted() => _completedBy.Clear();

    /// <summary>Drops peers silent since <paramref name="cutoff"/>.</summary>
    public int Expire(DateTimeOffset cutoff)
    {
        List<string>? stale = null;
        foreach (var set in (ReadOnlySpan<PeerSet>)[_members, _guests])
        {
            foreach (var peer in set.Peers)
            {
                if (peer.LastSeen < cutoff)
                {
                    (stale ??= []).Add(Key(peer.PeerId));
                }
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

    /// <summary>Changes a listed peer's "left", keeping the seed counts (O(1) per announce but when its subnet's bridge completes).</summary>
    public void SetLeft(TrackedPeer peer, long left)
    {
        var wasSeed = peer.IsSeed;
        (peer.IsMember ? _members : _guests).SetLeft(peer, left);
        if (peer.Subnet is { } subnet && wasSeed != peer.IsSeed)
        {
            _subnets[subnet].SeedChanged(peer);
        }
    }

    public (int Seeds, int Leechers) Counts()
    {
        var seeds = _members.Seeds + _guests.Seeds;
        return (seeds, Count - seeds);
    }

    private void Add(PeerSet set, string key, TrackedPeer peer)
    {
        set.Add(key, peer);
        if (locality is not null)
        {
            peer.Subnet = locality.SubnetOf(peer.EndPoint.Address);
            if (!_subnets.TryGetValue(peer.Subnet.Value, out var group))
            {
                _subnets[peer.Subnet.Value] = group = new SubnetPeers();
            }
            group.Add(key, peer);
        }
        var address = peer.EndPoint.Address;
        _perAddress[address] = _perAddress.GetValueOrDefault(address) + 1;
    }

    private void RemoveKey(string key)
    {
        if ((_members.Remove(key) ?? _guests.Remove(key)) is not { } removed)
        {
            return;
        }
        if (removed.Subnet is { } subnet && _subnets[subnet].Remove(key, removed) == 0)
        {
            _subnets.Remove(subnet);
        }
        var address = removed.EndPoint.Address;
        if (_perAddress[address] == 1)
        {
            _perAddress.Remove(address);
        }
        else
        {
            _perAddress[address]--;
        }
    }

    private TrackedPeer? OldestAt(IPAddress address)
    {
        TrackedPeer? oldest = null;
        foreach (var set in (ReadOnlySpan<PeerSet>)[_members, _guests])
        {
            foreach (var peer in set.Peers)
            {
                if (peer.EndPoint.Address.Equals(address) && (oldest is null || peer.LastSeen < oldest.LastSeen))
                {
                    oldest = peer;
                }
            }
        }
        return oldest;
    }

    /// <summary>
    /// The peers of one subnet, members and guests apart, its seed count, and its bridge: the
    /// leecher listed longest (ties: the lowest peer id), kept up to date as peers come, go and
    /// complete; a walk over the subnet only when the bridge itself leaves or completes.
    /// </summary>
    internal sealed class SubnetPeers
    {
        private readonly PeerSet _members = new();
        private readonly PeerSet _guests = new();

        public IReadOnlyList<TrackedPeer> Members => _members.Peers;
        public IReadOnlyList<TrackedPeer> Guests => _guests.Peers;
        public int Seeds => _members.Seeds + _guests.Seeds;
        public TrackedPeer? Bridge { get; private set; }

        public void Add(string key, TrackedPeer peer)
        {
            (peer.IsMember ? _members : _guests).Add(key, peer);
            if (!peer.IsSeed && OlderThanBridge(peer))
            {
                Bridge = peer;
            }
        }

        /// <summary>Removes a peer; returns how many are left.</summary>
        public int Remove(string key, TrackedPeer peer)
        {
            (peer.IsMember ? _members : _guests).Remove(key);
            if (ReferenceEquals(peer, Bridge))
            {
                FindBridge();
            }
            return _members.Count + _guests.Count;
        }

        /// <summary>A peer of this subnet became a seed or a leecher again.</summary>
        public void SeedChanged(TrackedPeer peer)
        {
            (peer.IsMember ? _members : _guests).SeedChanged(peer.IsSeed);
            if (peer.IsSeed && ReferenceEquals(peer, Bridge))
            {
                FindBridge();
            }
            else if (!peer.IsSeed && OlderThanBridge(peer))
            {
                Bridge = peer;
            }
        }

        private bool OlderThanBridge(TrackedPeer peer) =>
            Bridge is null || peer.Joined < Bridge.Joined
            || (peer.Joined == Bridge.Joined && string.CompareOrdinal(Key(peer.PeerId), Key(Bridge.PeerId)) < 0);

        private void FindBridge()
        {
            Bridge = null;
            foreach (var set in (ReadOnlySpan<PeerSet>)[_members, _guests])
            {
                foreach (var peer in set.Peers)
                {
                    if (!peer.IsSeed && OlderThanBridge(peer))
                    {
                        Bridge = peer;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Peers in a list (so an announce can pick from a random start without copying) plus an
    /// index by peer id; removal swaps the last peer into the hole.
    /// </summary>
    private sealed class PeerSet
    {
        private readonly List<TrackedPeer> _peers = [];
        private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

        public IReadOnlyList<TrackedPeer> Peers => _peers;
        public int Count => _peers.Count;
        public int Seeds { get; private set; }

        public TrackedPeer? Find(string key) => _index.TryGetValue(key, out var at) ? _peers[at] : null;

        public void Add(string key, TrackedPeer peer)
        {
            _index[key] = _peers.Count;
            _peers.Add(peer);
            Seeds += peer.IsSeed ? 1 : 0;
        }

        public TrackedPeer? Remove(string key)
        {
            if (!_index.Remove(key, out var at))
            {
                return null;
            }
            var removed = _peers[at];
            Seeds -= removed.IsSeed ? 1 : 0;
            var last = _peers.Count - 1;
            if (at != last)
            {
                _peers[at] = _peers[last];
                _index[Key(_peers[at].PeerId)] = at;
            }
            _peers.RemoveAt(last);
            return removed;
        }

        public void SetLeft(TrackedPeer peer, long left)
        {
            Seeds += (left == 0 ? 1 : 0) - (peer.IsSeed ? 1 : 0);
            peer.Left = left;
        }

        /// <summary>A peer's "left" changed through another set that lists it too.</summary>
        public void SeedChanged(bool isSeed) => Seeds += isSeed ? 1 : -1;
    }
}
