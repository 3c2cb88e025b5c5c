using System.Collections.Concurrent;
using System.Net;
using Ezio.BitTorrent.Metainfo;

namespace Ezio.Server.Tracker;

/// <summary>The answer to one announce, before bencoding.</summary>
internal sealed record AnnounceResult(
    string? FailureReason,
    int Interval,
    int Complete,
    int Incomplete,
    IReadOnlyList<(byte[] PeerId, IPEndPoint EndPoint)> Peers);

/// <summary>Scrape numbers of one info-hash (BEP 48 names).</summary>
internal readonly record struct ScrapeResult(int Complete, int Downloaded, int Incomplete);

/// <summary>
/// The HTTP tracker's state: one <see cref="Swarm"/> per info-hash, any hash accepted (as
/// ocs-bttrack and opentracker without a whitelist do). Deployments add stop rules
/// (after N completed, after a deadline) like ocs-bttrack's --tracker_max_completed and
/// --tracker_timeout; but instead of exiting, the tracker answers with a failure reason so
/// clients learn the job is over at once. In a deployment's swarm only members count (peers
/// announcing from the address a machine of that deployment registered from, see
/// <see cref="IsMember"/>): only their completions stop it, they come first in answers and are
/// never refused, while everyone else has a few peer ids per address and the room left.
/// Swarms no deployment opened behave as a plain tracker's. Time is injected.
/// </summary>
internal sealed class AnnounceTracker(TimeProvider time, ILogger<AnnounceTracker> logger)
{
    public const int MaxSwarms = 4096;
    private readonly ConcurrentDictionary<InfoHash, Swarm> _swarms = new();
    private long _announces;

    public int MaxPeersPerSwarm { get; init; } = 5000;

    /// <summary>Peer ids one address may hold in a deployment's swarm (a machine runs one client; a member past it replaces its oldest).</summary>
    public int MaxPeersPerAddress { get; init; } = 4;

    /// <summary>
    /// Whether an announce's source address belongs to a machine of an open deployment of the
    /// info-hash (the server asks its deployments). Unset: nobody is a member.
    /// </summary>
    public Func<InfoHash, IPAddress, bool>? IsMember { get; set; }

    /// <summary>
    /// Subnets of the announcers (the server config's locality prefixes); null: answers ignore
    /// where peers are. Set: a peer gets the peers of its own subnet, and peers of other
    /// subnets only when it is its subnet's bridge (see <see cref="PickNearPeers"/>), so each
    /// subnet pulls about one copy across its router and shares it inside.
    /// </summary>
    public SubnetLocality? Locality { get; init; }

    /// <summary>
    /// Leechers of other subnets a bridge gets besides the seeds: connections that outlive the
    /// server (and its tracker), so a subnet whose server dies mid-deployment still reaches the
    /// pieces the others hold; few, so the subnet still pulls about one copy.
    /// </summary>
    public const int BridgeFarLeechers = 4;

    /// <summary>Re-announce interval we ask for; silent peers expire after two of them.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Interval asked for while a deployment's swarm waits for the server's seeder and holds no
    /// seed: the first announces of the machines can beat the seeder's start (it rechecks the
    /// image first), and a full interval of waiting would leave the whole swarm idle.
    /// </summary>
    public TimeSpan AwaitingSeederInterval { get; init; } = TimeSpan.FromSeconds(5);

    public long Announces => Interlocked.Read(ref _announces);

    /// <summary>Raised (outside the swarm lock) when a rule closes a swarm.</summary>
    public event Action<InfoHash, string>? Closed;

    /// <summary>
    /// Sets a deployment's stop rules on its info-hash and reopens the swarm. A swarm that no
    /// open deployment holds (new, or closed since) starts over with no completions: the
    /// completions of last week's deployment of the same image must not end this one. A
    /// second deployment of the image while the first is still open shares the swarm: their
    /// stop counts add up (0, never, wins) and the later deadline holds.
    /// </summary>
    public void Open(InfoHash infoHash, int stopAfterCompleted, DateTimeOffset? deadline)
    {
        var swarm = GetOrAdd(infoHash);
        lock (swarm)
        {
            if (!swarm.HeldByDeployment || swarm.ClosedReason is not null)
            {
                swarm.ResetCompleted();
                swarm.StopAfterCompleted = stopAfterCompleted;
                swarm.Deadline = deadline;
            }
            else
            {
                swarm.StopAfterCompleted = swarm.StopAfterCompleted == 0 || stopAfterCompleted == 0 ? 0 : swarm.StopAfterCompleted + stopAfterCompleted;
                swarm.Deadline = swarm.Deadline is null || deadline is null ? null : swarm.Deadline > deadline ? swarm.Deadline : deadline;
            }
            swarm.HeldByDeployment = true;
            swarm.ClosedReason = null;
            swarm.AwaitingSeeder = swarm.PinnedSeederPort == 0;
        }
    }

    /// <summary>Closes a swarm by hand (deployment over or cancelled).</summary>
    public void Close(InfoHash infoHash, string reason)
    {
        var swarm = GetOrAdd(infoHash);
        lock (swarm)
        {
            swarm.ClosedReason ??= reason;
        }
    }

    public void PinSeeder(InfoHash infoHash, int port)
    {
        var swarm = GetOrAdd(infoHash);
        lock (swarm)
        {
            swarm.PinnedSeederPort = port;
            swarm.AwaitingSeeder = false;
        }
    }

    /// <summary>Handles an announce. <paramref name="local"/> is our address as this client reached it.</summary>
    public AnnounceResult Announce(AnnounceRequest request, IPAddress? local)
    {
        Interlocked.Increment(ref _announces);
        var now = time.GetUtcNow();
        if (!_swarms.TryGetValue(request.InfoHash, out var swarm))
        {
            if (_swarms.Count >= MaxSwarms)
            {
                return Failure("tracker is full");
            }
            swarm = GetOrAdd(request.InfoHash);
        }
        // Asked outside the swarm lock (the server's answer takes its own lock); a swarm that
        // no deployment holds has no members.
        var member = swarm.HeldByDeployment && IsMember?.Invoke(request.InfoHash, request.Address) == true;
        string? closedNow = null;
        AnnounceResult result;
        lock (swarm)
        {
            swarm.LastActivity = now;
            swarm.ExpireIfDue(now, now - 2 * Interval);
            if (swarm.ClosedReason is { } closed)
            {
                return Failure(closed);
            }
            var peer = swarm.Find(request.PeerId);
            var endPoint = new IPEndPoint(request.Address, request.Port);
            if (request.Event == AnnounceEvent.Stopped)
            {
                swarm.Remove(request.PeerId);
            }
            else if (peer is null || peer.IsMember != member || !peer.EndPoint.Address.Equals(request.Address))
            {
                // New, or its standing changed (it registered, or moved): listed afresh.
                if (peer is not null)
                {
                    swarm.Remove(request.PeerId);
                }
                peer = new TrackedPeer(request.PeerId, endPoint, member) { Left = request.Left, LastSeen = now, Joined = now };
                if (!swarm.TryAdd(peer, MaxPeersPerSwarm, swarm.HeldByDeployment ? MaxPeersPerAddress : 0))
                {
                    if (swarm.Count >= MaxPeersPerSwarm)
                    {
                        TrackerLog.SwarmFull(logger, request.InfoHash, MaxPeersPerSwarm);
                    }
                    else
                    {
                        TrackerLog.AddressFull(logger, request.InfoHash, request.Address, MaxPeersPerAddress);
                    }
                    peer = null;
                }
            }
            else
            {
                peer.EndPoint = endPoint;
                swarm.SetLeft(peer, request.Left);
                peer.LastSeen = now;
            }
            if (peer is not null && peer.IsSeed)
            {
                swarm.SeedSeen = true;
            }
            if (request.Event == AnnounceEvent.Completed && !swarm.HeldByDeployment)
            {
                swarm.MarkCompleted(Swarm.Key(request.PeerId));
            }
            else if (request.Event == AnnounceEvent.Completed && member)
            {
                swarm.MarkCompleted(request.Address.ToString());
            }
            closedNow = CheckRules(swarm, now);
            var (seeds, leechers) = swarm.Counts();
            var unlinked = false;
            var peers = request.Event == AnnounceEvent.Stopped ? []
                : Locality is { } locality ? PickNearPeers(swarm, request, local, locality, out unlinked)
                : PickPeers(swarm, request, local);
            // A bridge that knows no leecher across yet asks again soon (see PickNearPeers).
            var interval = (swarm.AwaitingSeeder && seeds == 0) || unlinked ? AwaitingSeederInterval : Interval;
            result = new AnnounceResult(null, (int)interval.TotalSeconds, seeds, leechers, peers);
        }
        if (closedNow is not null)
        {
            TrackerLog.SwarmClosed(logger, request.InfoHash, closedNow);
            Closed?.Invoke(request.InfoHash, closedNow);
        }
        return result;
    }

    /// <summary>Checks deadlines of every swarm; the server calls this every few seconds.</summary>
    public void Tick()
    {
        var now = time.GetUtcNow();
        foreach (var swarm in _swarms.Values)
        {
            string? closedNow;
            lock (swarm)
            {
                swarm.Expire(now - 2 * Interval);
                closedNow = CheckRules(swarm, now);
                if (swarm.Count == 0 && swarm.ClosedReason is null && swarm.StopAfterCompleted == 0 && swarm.Deadline is null
                    && swarm.PinnedSeederPort == 0 && now - swarm.LastActivity > 4 * Interval)
                {
                    _swarms.TryRemove(swarm.InfoHash, out _);
                }
            }
            if (closedNow is not null)
            {
                TrackerLog.SwarmClosed(logger, swarm.InfoHash, closedNow);
                Closed?.Invoke(swarm.InfoHash, closedNow);
            }
        }
    }

    public ScrapeResult? Scrape(InfoHash infoHash)
    {
        if (!_swarms.TryGetValue(infoHash, out var swarm))
        {
            return null;
        }
        lock (swarm)
        {
            swarm.Expire(time.GetUtcNow() - 2 * Interval);
            var (seeds, leechers) = swarm.Counts();
            return new ScrapeResult(seeds, swarm.Completed, leechers);
        }
    }

    public IReadOnlyList<(InfoHash InfoHash, ScrapeResult Result)> ScrapeAll()
    {
        var list = new List<(InfoHash, ScrapeResult)>();
        foreach (var hash in _swarms.Keys)
        {
            if (Scrape(hash) is { } result)
            {
                list.Add((hash, result));
            }
        }
        return list;
    }

    private Swarm GetOrAdd(InfoHash infoHash) => _swarms.GetOrAdd(infoHash, static (hash, locality) => new Swarm(hash, locality), Locality);

    private static string? CheckRules(Swarm swarm, DateTimeOffset now)
    {
        if (swarm.ClosedReason is not null)
        {
            return null;
        }
        if (swarm.StopAfterCompleted > 0 && swarm.Completed >= swarm.StopAfterCompleted)
        {
            swarm.ClosedReason = $"deployment is over: {swarm.Completed} clients completed";
        }
        else if (swarm.Deadline is { } deadline && now >= deadline)
        {
            swarm.ClosedReason = "deployment is over: time limit reached";
        }
        return swarm.ClosedReason;
    }

    /// <summary>The server's seeder, then members, then guests in the room left.</summary>
    private static List<(byte[], IPEndPoint)> PickPeers(Swarm swarm, AnnounceRequest request, IPAddress? local)
    {
        var peers = new List<(byte[], IPEndPoint)>(Math.Min(request.NumWant, swarm.Count + 1));
        if (request.NumWant == 0)
        {
            return peers;
        }
        if (swarm.PinnedSeederPort != 0 && local is not null)
        {
            var seeder = local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local;
            peers.Add((new byte[20], new IPEndPoint(seeder, swarm.PinnedSeederPort)));
        }
        AddPeers(peers, swarm.Members, request);
        AddPeers(peers, swarm.Guests, request);
        return peers;
    }

    private static void AddPeers(List<(byte[], IPEndPoint)> peers, IReadOnlyList<TrackedPeer> from, AnnounceRequest request)
    {
        // Seeds do not need seeds; otherwise start at a random place so every peer is handed out.
        var start = from.Count == 0 ? 0 : Random.Shared.Next(from.Count);
        for (var i = 0; i < from.Count && peers.Count < request.NumWant; i++)
        {
            var peer = from[(start + i) % from.Count];
            if (peer.PeerId.AsSpan().SequenceEqual(request.PeerId) || (request.Left == 0 && peer.IsSeed))
            {
                continue;
            }
            peers.Add((peer.PeerId, peer.EndPoint));
        }
    }

    /// <summary>
    /// Peers by subnet (<paramref name="locality"/>): the server's seeder if it is in the
    /// announcer's subnet, then that subnet's members and guests. Peers of other subnets go to
    /// the subnet's bridge alone, and only while its subnet holds no seed: the bridge is the
    /// subnet's oldest listed leecher, so it stays the same peer until it completes or leaves.
    /// The bridge gets the seeds of other subnets (the server's seeder first), closest
    /// subnets first (<see cref="SubnetLocality.Closeness"/>), and <see cref="BridgeFarLeechers"/>
    /// of their leechers; all of those when no seed is left anywhere, none while no seed was ever
    /// listed. A bridge that announced before any leecher across was listed, or before any seed,
    /// is <paramref name="unlinked"/>: it is asked to
    /// announce again after <see cref="AwaitingSeederInterval"/>, not a whole interval. The swarm
    /// indexes peers by subnet, so this costs what <see cref="PickPeers"/> does, but for the
    /// bridge's walk over the other subnets.
    /// </summary>
    private static List<(byte[], IPEndPoint)> PickNearPeers(Swarm swarm, AnnounceRequest request, IPAddress? local, SubnetLocality locality, out bool unlinked)
    {
        unlinked = false;
        var peers = new List<(byte[], IPEndPoint)>();
        if (request.NumWant == 0)
        {
            return peers;
        }
        var subnet = locality.SubnetOf(request.Address);
        var seeder = swarm.PinnedSeederPort != 0 && local is not null
            ? new IPEndPoint(local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local, swarm.PinnedSeederPort)
            : null;
        var seederIsNear = seeder is not null && subnet.Contains(seeder.Address);
        var near = swarm.Subnet(subnet);
        if (seederIsNear)
        {
            peers.Add((new byte[20], seeder!));
        }
        if (near is not null)
        {
            AddPeers(peers, near.Members, request);
            AddPeers(peers, near.Guests, request);
        }
        var isBridge = near?.Bridge is { } bridge ? bridge.PeerId.AsSpan().SequenceEqual(request.PeerId) : request.Left > 0;
        if (seederIsNear || near?.Seeds > 0 || !isBridge || request.Left == 0 || peers.Count >= request.NumWant)
        {
            return peers;
        }
        if (seeder is not null)
        {
            peers.Add((new byte[20], seeder));
        }
        var farSeeds = new List<TrackedPeer>();
        var farLeechers = new List<TrackedPeer>();
        foreach (var set in (IReadOnlyList<TrackedPeer>[])[swarm.Members, swarm.Guests])
        {
            var start = set.Count == 0 ? 0 : Random.Shared.Next(set.Count);
            for (var i = 0; i < set.Count; i++)
            {
                var peer = set[(start + i) % set.Count];
                if (!subnet.Contains(peer.EndPoint.Address))
                {
                    (peer.IsSeed ? farSeeds : farLeechers).Add(peer);
                }
            }
        }
        // Stable sort: members before guests and the random order stay within a closeness.
        var byCloseness = (List<TrackedPeer> list) => list.OrderByDescending(p => locality.Closeness(request.Address, p.EndPoint.Address));
        var seeds = farSeeds.Count + (seeder is null ? 0 : 1);
        // No seed across: all far leechers, so subnets whose seed died finish from each other;
        // none while no seed was ever listed (the swarm is starting, nobody holds anything yet,
        // and a bridge linked now would pull across whatever the far subnet gets from its seed).
        var startingUp = seeds == 0 && !swarm.SeedSeen;
        var leechers = seeds > 0 ? BridgeFarLeechers : startingUp ? 0 : int.MaxValue;
        foreach (var peer in byCloseness(farSeeds).Concat(byCloseness(farLeechers).Take(leechers)))
        {
            if (peers.Count >= request.NumWant)
            {
                break;
            }
            peers.Add((peer.PeerId, peer.EndPoint));
        }
        unlinked = farLeechers.Count == 0 || startingUp;
        return peers;
    }

    private AnnounceResult Failure(string reason) => new(reason, (int)Interval.TotalSeconds, 0, 0, []);
}
