namespace Ezio.Sim;

/// <summary>
/// The server's super-seeding, re-expressed from src/Ezio.BitTorrent/Engine/SuperSeeder.cs
/// (SuperSeedWindow, SuperSeedInFlight, SuperSeedAdapt, AllotAll, SuperSeedRank, PickToGive,
/// SuperSeedSeen, SuperSeedPeerGone, SuperSeedSweep): while the server holds the only
/// complete copy it advertises each machine a few pieces nobody holds yet, so its uplink
/// carries every piece once before any twice. Same rules and constants; two short cuts that
/// change no decision: a pass that may hand out no new piece and finds no stale one stops
/// before scanning every piece for every peer.
/// </summary>
public sealed class SuperSeeder
{
    private readonly Swarm _swarm;
    private readonly Host _server;
    private readonly int _pieceCount;
    private readonly int _pieceLength;
    private readonly int[] _given;
    private readonly double[] _givenAt;
    private readonly PieceSet _seen;
    private readonly Peer?[] _soleHolder;
    private readonly Queue<(int Index, double At)> _givenOrder = new();
    private readonly HashSet<Peer> _exhausted = [];
    private int _seenCount;
    private int _unseenGiven;
    private int _seenGiven;
    private int _neverGiven;
    private int _budget;
    private double _peakRate;
    private double _rateAtGrowth = -1;
    private double _openedAt = -1;
    private double _lastSweep;

    public SuperSeeder(Swarm swarm, Host server, int pieceCount, int pieceLength)
    {
        _swarm = swarm;
        _server = server;
        _pieceCount = pieceCount;
        _pieceLength = pieceLength;
        _given = new int[pieceCount];
        _givenAt = new double[pieceCount];
        _seen = new PieceSet(pieceCount);
        _soleHolder = new Peer?[pieceCount];
        _neverGiven = pieceCount;
    }

    public bool Active { get; private set; } = true;

    public bool AllotDue { get; set; }

    /// <summary>Payload the server had sent when every piece had reached a machine (-1: not yet).</summary>
    public double UploadedWhenDone { get; private set; } = -1;

    public double DoneAt { get; private set; } = -1;

    private double Now => _swarm.Events.Now;

    public override string ToString() => $"seen {_seenCount} unseen-given {_unseenGiven} budget {_budget} in-flight {InFlight(Receivers())}";

    /// <summary>TorrentSession.cs SendOpening: a new peer starts with nothing advertised.</summary>
    public void Register(Peer peer)
    {
        peer.Advertised = new PieceSet(_pieceCount);
        if (_openedAt < 0)
        {
            _openedAt = Now;
        }
        AllotDue = true;
    }

    private long PieceOnWire()
    {
        var uploaded = (long)_server.Uploaded;
        return _seenGiven > 0 && uploaded > 0 ? Math.Clamp(uploaded / _seenGiven, 16L << 10, _pieceLength) : _pieceLength;
    }

    private int Window(int receivers)
    {
        var bytes = 256L << 10;
        if (_openedAt >= 0 && Now - _openedAt >= 1)
        {
            bytes = Math.Max(bytes, (2L << 20) / Math.Max(1, receivers));
        }
        return (int)Math.Clamp(bytes / PieceOnWire(), 2, 64);
    }

    private int InFlight(int receivers)
    {
        var perPiece = PieceOnWire();
        var byBytes = (int)Math.Clamp((4L << 20) / perPiece, 3, 64);
        var ceiling = Math.Min(Math.Max(byBytes, receivers), 256);
        var floor = (int)Math.Clamp((2L << 20) / perPiece, 2, ceiling);
        return Math.Clamp(_budget, floor, ceiling);
    }

    private int Receivers()
    {
        var receivers = 0;
        foreach (var peer in _server.Peers)
        {
            receivers += peer.Advertised is not null && !peer.Closed ? 1 : 0;
        }
        return receivers;
    }

    /// <summary>SuperSeedAdapt: grow the budget while the uplink runs below its best.</summary>
    public void Adapt(double rate)
    {
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

    /// <summary>AllotAll: hands out pieces until the in-flight budget or every peer's window is full.</summary>
    public void AllotAll()
    {
        AllotDue = false;
        if (!Active)
        {
            return;
        }
        _exhausted.Clear();
        var receivers = Receivers();
        var inFlight = InFlight(receivers);
        var window = Window(receivers);
        while (true)
        {
            Peer? target = null;
            var targetRank = 0L;
            var ties = 0;
            foreach (var peer in _server.Peers)
            {
                if (peer.Advertised is null || peer.Closed || peer.AdvertisedPending >= window || _exhausted.Contains(peer))
                {
                    continue;
                }
                var rank = Rank(peer, window);
                if (target is null || rank < targetRank || (rank == targetRank && peer.GivenCount < target.GivenCount))
                {
                    target = peer;
                    targetRank = rank;
                    ties = 1;
                }
                else if (rank == targetRank && peer.GivenCount == target.GivenCount && _server.Random.Next(++ties) == 0)
                {
                    target = peer;
                }
            }
            if (target is null)
            {
                return;
            }
            var piece = PickToGive(target, allowNew: _unseenGiven < inFlight);
            if (piece < 0)
            {
                _exhausted.Add(target);
                continue;
            }
            if (_given[piece] == 0)
            {
                _unseenGiven++;
                _neverGiven--;
            }
            target.Advertised!.Add(piece);
            _given[piece]++;
            _givenAt[piece] = Now;
            _givenOrder.Enqueue((piece, Now));
            target.AdvertisedPending++;
            target.GivenCount++;
            _swarm.Send(_server, target.Remote, EventKind.Have, target.Mirror, piece);
        }
    }

    private long Rank(Peer peer, int window)
    {
        var supply = _seenCount - peer.Has.Count + peer.AdvertisedPending;
        return supply < window ? supply : (1L << 32) + peer.AdvertisedPending + peer.SoleHeld;
    }

    private int PickToGive(Peer peer, bool allowNew)
    {
        if ((!allowNew || _neverGiven == 0) && !AnyStale())
        {
            return -1;
        }
        var advertised = peer.Advertised!;
        var best = -1;
        var bestGiven = int.MaxValue;
        var ties = 0;
        var staleBefore = Now - _swarm.Engine.StaleGivenSeconds;
        for (var i = 0; i < _pieceCount; i++)
        {
            if (advertised[i] || peer.Has[i] || _seen[i])
            {
                continue;
            }
            var given = _given[i];
            if (given == 0 ? !allowNew : _givenAt[i] > staleBefore)
            {
                continue;
            }
            if (given < bestGiven)
            {
                best = i;
                bestGiven = given;
                ties = 1;
            }
            else if (given == bestGiven && _server.Random.Next(++ties) == 0)
            {
                best = i;
            }
        }
        return best;
    }

    // Some piece was handed out, is still unseen and was last handed out StaleGiven ago.
    private bool AnyStale()
    {
        while (_givenOrder.TryPeek(out var head) && (_seen[head.Index] || _given[head.Index] == 0 || _givenAt[head.Index] != head.At))
        {
            _givenOrder.Dequeue();
        }
        return _givenOrder.TryPeek(out var oldest) && Now - oldest.At >= _swarm.Engine.StaleGivenSeconds;
    }

    /// <summary>SuperSeedSeen: a peer announced a piece (the server's availability already counts it).</summary>
    public void Seen(Peer peer, int index)
    {
        // Availability already counts this peer: 1 means it is the only holder, 2 that the
        // former only holder has passed it on once.
        switch (_server.Picker.Availability(index))
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
        if (!_seen.Add(index))
        {
            return;
        }
        if (_given[index] > 0)
        {
            _unseenGiven--;
            _seenGiven++;
        }
        else
        {
            _neverGiven--;
        }
        AllotDue = true;
        if (++_seenCount < _pieceCount)
        {
            return;
        }
        Active = false;
        Array.Clear(_soleHolder);
        UploadedWhenDone = _server.Uploaded;
        DoneAt = Now;
        foreach (var other in _server.Peers)
        {
            if (other.Advertised is null)
            {
                continue;
            }
            other.Advertised = null;
            if (!other.Closed)
            {
                _swarm.Send(_server, other.Remote, EventKind.HaveAll, other.Mirror);
            }
        }
    }

    /// <summary>SuperSeedPeerGone: pieces handed only to a peer that left may go to another.</summary>
    public void PeerGone(Peer peer)
    {
        if (peer.Advertised is not { } advertised)
        {
            return;
        }
        for (var i = 0; i < _pieceCount; i++)
        {
            if (_soleHolder[i] == peer)
            {
                _soleHolder[i] = null;
            }
            if (advertised[i] && !_seen[i] && _given[i] > 0 && --_given[i] == 0)
            {
                _unseenGiven--;
                _neverGiven++;
            }
        }
        AllotDue = true;
    }

    /// <summary>SuperSeedSweep: once a second, hand out pieces whose first recipient went stale.</summary>
    public void Sweep()
    {
        if (Active && (AllotDue || Now - _lastSweep >= 1))
        {
            _lastSweep = Now;
            AllotAll();
        }
    }
}
