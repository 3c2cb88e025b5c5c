using Ezio.BitTorrent.PeerWire;

namespace Ezio.BitTorrent.Engine;

// Super-seeding for a LAN: while we hold the only complete copy, we tell peers about a few
// pieces at a time, each piece nobody holds yet, round robin over the peers. Every piece
// leaves our uplink once before any leaves it twice, and only a few travel at once so each
// arrives quickly at full rate and its holder can pass it on while we send the next: the
// swarm's lag behind our uplink stays at about one piece whatever the number of peers. When
// every piece has reached some peer, everything is advertised and we seed normally.
public sealed partial class TorrentSession
{
    // What waits at one peer (two pieces at least). In the opening second, while the machines
    // are still connecting, 256 KiB on the wire: a deeper window let the first machine to
    // connect take the whole opening budget, the server's first second went to it alone and
    // the others waited on its uplink (25 Mbit/s, 8 machines, 128K pieces: the downlinks at
    // line rate ~2.4 s after the first byte instead of ~1.6 s; 25.2 s instead of 24.2 s to
    // the last machine). Then a share of 2 MiB among the peers we feed: with few peers each
    // needs more in flight, or the round trip from one piece's arrival, through its holder's
    // announce, to our next piece's request leaves the link to it idle (one machine: 1.14x
    // the bound with two pieces). Counted on the wire, so more compressed pieces fit.
    private int SuperSeedWindow(int receivers)
    {
        var bytes = 256L << 10;
        if (_superSeedOpenedTicks != 0 && Time.GetElapsedTime(_superSeedOpenedTicks) >= TimeSpan.FromSeconds(1))
        {
            bytes = Math.Max(bytes, (2L << 20) / Math.Max(1, receivers));
        }
        return (int)Math.Clamp(bytes / SuperSeedPieceOnWire(), 2, 64);
    }

    // When the first peer was registered for super-seeding (0: none yet).
    private long _superSeedOpenedTicks;

    // What a piece has cost on our uplink so far: bytes uploaded over the pieces we handed out
    // that have reached a peer. The piece size until there is such evidence: pieces a peer
    // brought along (a machine resuming a deployment) or announced without fetching them from
    // us cost us nothing, and counting them would make pieces look tiny and flood the peers
    // with advertised pieces.
    private long SuperSeedPieceOnWire()
    {
        var uploaded = Interlocked.Read(ref _uploaded);
        return _seenGiven > 0 && uploaded > 0
            ? Math.Clamp(uploaded / _seenGiven, 16L << 10, Torrent.PieceLength)
            : Torrent.PieceLength;
    }

    // Pieces we handed out that some peer has since announced.
    private int _seenGiven;

    // Pieces on their way from us to their first holder. Few at first: while the peers'
    // downlinks are idle, each piece then arrives at a large share of our uplink and its
    // holder passes it on within a fraction of a second (with one piece per peer, every first
    // piece would crawl in at 1/N of our uplink and the swarm would sit idle for seconds).
    // Later each piece shares its receiver's downlink with what the other peers send it, and
    // arrives at a fraction of that link; so the budget grows while our uplink runs below the
    // best rate it has shown (see SuperSeedAdapt), up to one piece per receiving peer or what
    // 4 MiB on the wire holds. Compressed pieces cost less on the wire, so more of them fit:
    // what the pieces out so far cost tells.
    private int SuperSeedInFlight(int receivers)
    {
        var perPieceOnWire = SuperSeedPieceOnWire();
        var byBytes = (int)Math.Clamp((4L << 20) / perPieceOnWire, 3, 64);
        var ceiling = Math.Min(Math.Max(byBytes, receivers), 256);
        var floor = (int)Math.Clamp((2L << 20) / perPieceOnWire, 2, ceiling);
        return Math.Clamp(_superSeedBudget, floor, ceiling);
    }

    private int SuperSeedReceivers()
    {
        var receivers = 0;
        foreach (var peer in _peers)
        {
            receivers += peer.Advertised is not null && !peer.IsClosed ? 1 : 0;
        }
        return receivers;
    }

    // Budget of unseen pieces out, grown by SuperSeedAdapt; SuperSeedInFlight clamps it.
    private int _superSeedBudget;
    private double _superSeedPeakRate;
    private double _superSeedRateAtGrowth = -1;

    /// <summary>
    /// With each new sample of our upload rate (about once a second) while super-seeding,
    /// when the budget is all out: half as many pieces again may be out if our uplink ran
    /// below 85 % of the best rate it has shown, sent nothing, or ran 10 % faster than before
    /// the last growth (still climbing: a budget too small from the start, as with
    /// well-compressed pieces, would otherwise hold the rate at a steady low that never falls
    /// below its own best).
    /// </summary>
    private void SuperSeedAdapt(double rate)
    {
        var current = SuperSeedInFlight(SuperSeedReceivers());
        var climbing = _superSeedRateAtGrowth < 0 || rate > 1.1 * _superSeedRateAtGrowth;
        if (_unseenGiven >= current && (rate < 0.85 * _superSeedPeakRate || _superSeedPeakRate == 0 || climbing))
        {
            _superSeedBudget = current + Math.Max(1, current / 2);
            _superSeedRateAtGrowth = rate;
            _allotDue = true;
        }
        _superSeedPeakRate = Math.Max(_superSeedPeakRate, rate);
    }

    // A piece handed to a peer that has not announced it after this long may be handed to
    // another: the first peer may be stuck, or may never ask for it.
    private static readonly TimeSpan StaleGiven = TimeSpan.FromSeconds(20);

    /// <summary>Hands out pieces until the in-flight budget or every peer's window is full.</summary>
    private void AllotAll()
    {
        _allotDue = false;
        if (!_superSeeding)
        {
            return;
        }
        var now = Time.GetTimestamp();
        // Peers with no piece left to give are skipped for the rest of this pass.
        HashSet<PeerConnection>? exhausted = null;
        var receivers = SuperSeedReceivers();
        var inFlight = SuperSeedInFlight(receivers);
        var window = SuperSeedWindow(receivers);
        while (true)
        {
            PeerConnection? target = null;
            var targetRank = 0L;
            var ties = 0;
            foreach (var peer in _peers)
            {
                if (peer.Advertised is null || peer.IsClosed || peer.AdvertisedPending >= window || exhausted?.Contains(peer) == true)
                {
                    continue;
                }
                // A starving peer first: one that has nearly every piece any peer holds, so
                // nobody but us can keep its downlink busy (the first peer to connect, once it
                // has passed its first pieces on); the one with the least to fetch first. Then
                // the peer with the least ahead of its uplink: pieces on their way to it plus
                // pieces only it holds, which it must pass on to the others (a new piece goes
                // where it can be passed on soonest). Then the fewest given so far.
                var rank = SuperSeedRank(peer, window);
                if (target is null || rank < targetRank || (rank == targetRank && peer.GivenCount < target.GivenCount))
                {
                    target = peer;
                    targetRank = rank;
                    ties = 1;
                }
                else if (rank == targetRank && peer.GivenCount == target.GivenCount && _random.Next(++ties) == 0)
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
            target.Advertised!.Set(piece);
            _given[piece]++;
            _givenAt[piece] = now;
            target.AdvertisedPending++;
            target.GivenCount++;
            target.Send(Outgoing.Have(piece));
        }
    }

    // Lower goes first. A starving peer: what it can fetch from the other peers plus what is on
    // its way from us is less than a window, so its downlink is about to idle; the hungriest
    // first. Then the others by the work ahead of their uplinks.
    private long SuperSeedRank(PeerConnection peer, int window)
    {
        // While super-seeding a peer holds only pieces some peer announced, so the difference
        // is what it could fetch from the others.
        var supply = _seenCount - peer.RemoteBitfield.TrueCount + peer.AdvertisedPending;
        return supply < window ? supply : (1L << 32) + peer.AdvertisedPending + peer.SoleHeld;
    }

    // A piece nobody holds and the peer lacks: one never given (when the in-flight budget
    // allows), else one whose first recipient went stale.
    private int PickToGive(PeerConnection peer, long now, bool allowNew)
    {
        var advertised = peer.Advertised!;
        var best = -1;
        var bestGiven = int.MaxValue;
        var ties = 0;
        for (var i = 0; i < Torrent.PieceCount; i++)
        {
            // A piece some peer already holds travels between peers, never from us again
            // while pieces remain that nobody holds.
            if (advertised[i] || peer.RemoteBitfield[i] || _seen[i])
            {
                continue;
            }
            var given = _given[i];
            if (given == 0 ? !allowNew : Time.GetElapsedTime(_givenAt[i], now) < StaleGiven)
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

    /// <summary>A peer announced a piece: once every piece is out there, seed normally.</summary>
    private void SuperSeedSeen(PeerConnection peer, int index)
    {
        // Availability already counts this peer: 1 means it is the only holder, 2 that the
        // former only holder has passed it on once.
        switch (_picker.Availability(index))
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
        _allotDue = true;
        if (++_seenCount < Torrent.PieceCount)
        {
            return;
        }
        _superSeeding = false;
        Array.Clear(_soleHolder);
        var uploaded = Interlocked.Read(ref _uploaded);
        Volatile.Write(ref _superSeedUploaded, uploaded);
        TorrentSessionLog.SuperSeedDone(Options.Logger, uploaded);
        foreach (var other in _peers)
        {
            if (other.Advertised is not { } advertised)
            {
                continue;
            }
            for (var i = 0; i < Torrent.PieceCount; i++)
            {
                if (!advertised[i] && !other.RemoteBitfield[i])
                {
                    other.Send(Outgoing.Have(i));
                }
            }
            other.Advertised = null;
        }
    }

    /// <summary>
    /// Pieces handed to a peer that left without announcing them may go to another; pieces it
    /// alone held forget it (its connection is not kept alive by the bookkeeping).
    /// </summary>
    private void SuperSeedPeerGone(PeerConnection peer)
    {
        if (peer.Advertised is not { } advertised)
        {
            return;
        }
        for (var i = 0; i < Torrent.PieceCount; i++)
        {
            if (_soleHolder[i] == peer)
            {
                _soleHolder[i] = null;
            }
            if (advertised[i] && !_seen[i] && _given[i] > 0 && --_given[i] == 0)
            {
                _unseenGiven--;
            }
        }
        _allotDue = true;
    }

    /// <summary>Once a second: hand out pieces whose first recipient went stale.</summary>
    private void SuperSeedSweep(long now)
    {
        if (_allotDue || Time.GetElapsedTime(_lastSweep, now) >= TimeSpan.FromSeconds(1))
        {
            _lastSweep = now;
            AllotAll();
        }
    }
}
