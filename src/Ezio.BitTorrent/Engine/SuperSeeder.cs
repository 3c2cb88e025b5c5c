using Ezio.BitTorrent.Picking;
using Microsoft.Extensions.Logging;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// Super-seeding for a LAN: while we hold the only complete copy, each peer hears of a few
/// pieces at a time, each one nobody holds yet, round robin over the peers. Every piece
/// leaves our uplink once before any leaves it twice, and only a few travel at once, so each
/// arrives quickly and its holder passes it on while we send the next. Once every piece has
/// reached some peer, every peer hears of everything and we seed normally.
/// </summary>
/// <remarks>
/// Owned by the swarm loop. <see cref="UploadedWhenDone"/> may be read by any thread. Why the
/// window and budget have the sizes they have: docs/engine.md.
/// </remarks>
internal sealed class SuperSeeder
{
    // A piece handed to a peer that has not announced it after this long may be handed to
    // another: the first may be stuck, or may never ask for it.
    private static readonly TimeSpan StaleGiven = TimeSpan.FromSeconds(20);

    private readonly int _pieceCount;
    private readonly int _pieceLength;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Func<long> _uploaded;
    private readonly ILogger _logger;
    private readonly List<Peer> _peers = [];
    private readonly Dictionary<ISuperSeedPeer, Peer> _byPeer = [];
    // Per piece: how often handed out, when last, and the peer that alone holds it.
    private readonly int[] _given;
    private readonly long[] _givenAt;
    private readonly Peer?[] _soleHolder;
    // Pieces some peer announced.
    private readonly Bitfield _seen;
    private int _seenCount;
    // Handed out, not announced by anyone yet; and handed out and since announced.
    private int _unseenGiven;
    private int _seenGiven;
    private long _openedTicks;
    private long _lastSweep;
    private int _budget;
    private double _peakRate;
    private double _rateAtGrowth = -1;
    private long _uploadedWhenDone = -1;

    public SuperSeeder(int pieceCount, int pieceLength, TimeProvider time, Random random, Func<long> uploaded, ILogger logger)
    {
        _pieceCount = pieceCount;
        _pieceLength = pieceLength;
        _time = time;
        _random = random;
        _uploaded = uploaded;
        _logger = logger;
        _given = new int[pieceCount];
        _givenAt = new long[pieceCount];
        _soleHolder = new Peer?[pieceCount];
        _seen = new Bitfield(pieceCount);
    }

    /// <summary>False once every piece has reached a peer.</summary>
    public bool Active { get; private set; } = true;

    /// <summary>Something changed that may let more pieces out: allot at the next chance.</summary>
    public bool AllotDue { get; private set; }

    /// <summary>Bytes uploaded when every piece had reached a peer (null before).</summary>
    public long? UploadedWhenDone => Volatile.Read(ref _uploadedWhenDone) is >= 0 and var bytes ? bytes : null;

    private sealed class Peer(ISuperSeedPeer connection, int pieceCount)
    {
        public ISuperSeedPeer Connection { get; } = connection;

        /// <summary>Pieces we advertised to this peer.</summary>
        public Bitfield Advertised { get; } = new(pieceCount);

        /// <summary>Advertised pieces the peer has not announced yet.</summary>
        public int Pending { get; set; }

        /// <summary>Pieces handed to this peer so far.</summary>
        public int Given { get; set; }

        /// <summary>
        /// Pieces this peer alone holds; each still has to leave its uplink for most other
        /// peers, so the larger the count, the busier that uplink ahead.
        /// </summary>
        public int SoleHeld { get; set; }
    }

    /// <summary>A peer joined; it hears of nothing until <see cref="Allot"/>.</summary>
    public void Join(ISuperSeedPeer connection)
    {
        if (!Active || _byPeer.ContainsKey(connection))
        {
            return;
        }
        var peer = new Peer(connection, _pieceCount);
        _peers.Add(peer);
        _byPeer[connection] = peer;
        if (_openedTicks == 0)
        {
            _openedTicks = _time.GetTimestamp();
        }
        AllotDue = true;
    }

    /// <summary>
    /// A peer left: pieces handed to it and never announced may go to another; pieces it
    /// alone held forget it.
    /// </summary>
    public void Leave(ISuperSeedPeer connection)
    {
        if (!_byPeer.Remove(connection, out var peer))
        {
            return;
        }
        _peers.Remove(peer);
        for (var i = 0; i < _pieceCount; i++)
        {
            if (_soleHolder[i] == peer)
            {
                _soleHolder[i] = null;
            }
            if (peer.Advertised[i] && !_seen[i] && _given[i] > 0 && --_given[i] == 0)
            {
                _unseenGiven--;
            }
        }
        AllotDue = true;
    }

    /// <summary>
    /// A peer announced a piece (its bitfield already holds it); <paramref name="holders"/> is
    /// how many peers hold it now, this one included.
    /// </summary>
    public void OnHave(ISuperSeedPeer connection, int index, int holders)
    {
        if (!Active || !_byPeer.TryGetValue(connection, out var peer))
        {
            return;
        }
        if (peer.Advertised[index])
        {
            peer.Pending--;
            AllotDue = true;
        }
        // 1: it is the only holder; 2: the former only holder has passed it on once.
        switch (holders)
        {
            case 1:
                peer.SoleHeld++;
                _soleHolder[index] = peer;
                break;
            case 2 when _soleHolder[index] is { } first:
                first.SoleHeld--;
                _soleHolder[index] = null;
                break;
        }
        if (!_seen.Set(index))
        {
            return;
        }
        if (_given[index] > 0)
        {
            _unseenGiven--;
            _seenGiven++;
        }
        AllotDue = true;
        if (++_seenCount == _pieceCount)
        {
            Finish();
        }
    }

    private void Finish()
    {
        Active = false;
        AllotDue = false;
        var uploaded = _uploaded();
        Volatile.Write(ref _uploadedWhenDone, uploaded);
        TorrentSessionLog.SuperSeedDone(_logger, uploaded);
        foreach (var peer in _peers)
        {
            var remote = peer.Connection.RemoteBitfield;
            for (var i = 0; i < _pieceCount; i++)
            {
                if (!peer.Advertised[i] && !remote[i])
                {
                    peer.Connection.Advertise(i);
                }
            }
        }
        _peers.Clear();
        _byPeer.Clear();
        Array.Clear(_soleHolder);
    }

    /// <summary>
    /// With each new sample of our upload rate (about once a second), when the budget is all
    /// out: half as many pieces again may be out if our uplink ran below 85 % of the best rate
    /// it has shown, sent nothing, or ran 10 % faster than before the last growth (still
    /// climbing: a budget too small from the start would otherwise hold the rate at a steady
    /// low that never falls below its own best).
    /// </summary>
    public void Adapt(double rate)
    {
        if (!Active)
        {
            return;
        }
        var current = InFlight(Receivers());
        var climbing = _rateAtGrowth < 0 || rate > 1.1 * _rateAtGrowth;
        if (_unseenGiven >= current && (rate < 0.85 * _peakRate || _peakRate == 0 || climbing))
        {
            _budget = current + Math.Max(1, current / 2);
            _rateAtGrowth = rate;
            AllotDue = true;
        }
        _peakRate = Math.Max(_peakRate, rate);
    }

    /// <summary>From the tick: allot when due, and once a second for pieces whose first recipient went stale.</summary>
    public void Sweep(long now)
    {
        if (Active && (AllotDue || _time.GetElapsedTime(_lastSweep, now) >= TimeSpan.FromSeconds(1)))
        {
            _lastSweep = now;
            Allot();
        }
    }

    /// <summary>Hands out pieces until the in-flight budget or every peer's window is full.</summary>
    public void Allot()
    {
        AllotDue = false;
        if (!Active)
        {
            return;
        }
        var now = _time.GetTimestamp();
        // Peers with no piece left to give are skipped for the rest of this pass.
        HashSet<Peer>? exhausted = null;
        var receivers = Receivers();
        var inFlight = InFlight(receivers);
        var window = Window(receivers);
        while (true)
        {
            Peer? target = null;
            var targetRank = 0L;
            var ties = 0;
            foreach (var peer in _peers)
            {
                if (peer.Connection.IsClosed || peer.Pending >= window || exhausted?.Contains(peer) == true)
                {
                    continue;
                }
                var rank = Rank(peer, window);
                if (target is null || rank < targetRank || (rank == targetRank && peer.Given < target.Given))
                {
                    target = peer;
                    targetRank = rank;
                    ties = 1;
                }
                else if (rank == targetRank && peer.Given == target.Given && _random.Next(++ties) == 0)
                {
                    target = peer;
                }
            }
            if (target is null)
            {
                return;
            }
            var piece = PickToGive(target, now, allowNew: _unseenGiven < inFlight);
            if (piece < 0)
            {
                (exhausted ??= []).Add(target);
                continue;
            }
            if (_given[piece] == 0)
            {
                _unseenGiven++;
            }
            target.Advertised.Set(piece);
            _given[piece]++;
            _givenAt[piece] = now;
            target.Pending++;
            target.Given++;
            target.Connection.Advertise(piece);
        }
    }

    // Lower goes first. A starving peer first: what it can fetch from the other peers plus
    // what is on its way from us is less than a window, so nobody but us can keep its
    // downlink busy; the hungriest first. Then the others by the work ahead of their
    // uplinks: pieces on their way to them plus pieces only they hold (a new piece goes
    // where it can be passed on soonest). Ties: the fewest given so far.
    private long Rank(Peer peer, int window)
    {
        // A peer holds only pieces some peer announced, so the difference is what it could
        // fetch from the others.
        var supply = _seenCount - peer.Connection.RemoteBitfield.TrueCount + peer.Pending;
        return supply < window ? supply : (1L << 32) + peer.Pending + peer.SoleHeld;
    }

    // A piece nobody holds and the peer lacks: one never given (when the in-flight budget
    // allows), else one whose first recipient went stale.
    private int PickToGive(Peer peer, long now, bool allowNew)
    {
        var remote = peer.Connection.RemoteBitfield;
        var best = -1;
        var bestGiven = int.MaxValue;
        var ties = 0;
        for (var i = 0; i < _pieceCount; i++)
        {
            // A piece some peer already holds travels between peers, never from us again
            // while pieces remain that nobody holds.
            if (peer.Advertised[i] || remote[i] || _seen[i])
            {
                continue;
            }
            var given = _given[i];
            if (given == 0 ? !allowNew : _time.GetElapsedTime(_givenAt[i], now) < StaleGiven)
            {
                continue;
            }
            if (given < bestGiven)
            {
                best = i;
                bestGiven = given;
                ties = 1;
            }
            else if (given == bestGiven && _random.Next(++ties) == 0)
            {
                best = i;
            }
        }
        return best;
    }

    private int Receivers()
    {
        var receivers = 0;
        foreach (var peer in _peers)
        {
            receivers += peer.Connection.IsClosed ? 0 : 1;
        }
        return receivers;
    }

    // What waits at one peer: two pieces at least; 256 KiB on the wire in the opening second
    // (while machines still connect, so the first one does not take the whole opening), then
    // a share of 2 MiB among the receivers.
    private int Window(int receivers)
    {
        var bytes = 256L << 10;
        if (_openedTicks != 0 && _time.GetElapsedTime(_openedTicks) >= TimeSpan.FromSeconds(1))
        {
            bytes = Math.Max(bytes, (2L << 20) / Math.Max(1, receivers));
        }
        return (int)Math.Clamp(bytes / PieceOnWire(), 2, 64);
    }

    // What a piece has cost on our uplink: bytes uploaded over the pieces handed out that
    // have reached a peer; the piece size until there is such evidence (pieces a peer brought
    // along cost us nothing and would make pieces look tiny).
    private long PieceOnWire()
    {
        var uploaded = _uploaded();
        return _seenGiven > 0 && uploaded > 0
            ? Math.Clamp(uploaded / _seenGiven, 16L << 10, _pieceLength)
            : _pieceLength;
    }

    // Pieces on their way from us to their first holder: few at first (each arrives at a
    // large share of our uplink), growing by Adapt up to one per receiver or 4 MiB on the wire.
    private int InFlight(int receivers)
    {
        var perPieceOnWire = PieceOnWire();
        var byBytes = (int)Math.Clamp((4L << 20) / perPieceOnWire, 3, 64);
        var ceiling = Math.Min(Math.Max(byBytes, receivers), 256);
        var floor = (int)Math.Clamp((2L << 20) / perPieceOnWire, 2, ceiling);
        return Math.Clamp(_budget, floor, ceiling);
    }
}
